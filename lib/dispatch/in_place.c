#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <string.h>
#include "dispatch/resume.h"
#include "dispatch/stack_room.h"
#include "dispatch/in_place.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "sched/abandon.h"
#include "sched/crashed.h"
#include "sched/serve.h"
#include "sched/turns.h"
#include "trace/flags.h"
#include "x86_64/abi.h"
#include "x86_64/regs.h"

/* What the thread was before the call and where the call returns to. Lives
 * on the caller's stack, above the export's frames (abi.h). */
struct in_place {
	uintptr_t ret_to;                 /* IN_PLACE_RET_TO */
	uintptr_t ret_rsp;                /* IN_PLACE_RET_RSP */
	struct serve_frame frame;         /* frame.in_place */
	struct pf_process *self, *caller; /* the thread's identity before */
	bool serial;                      /* holds the export's serial lock */
	int saved_errno;                  /* the caller's errno */
	greg_t callee_saved[6];           /* rbx rbp r12 r13 r14 r15 */
	uint32_t mxcsr;                   /* the caller's control words */
	uint16_t fcw;
};

_Static_assert(offsetof(struct in_place, ret_to) == IN_PLACE_RET_TO, "abi.h");
_Static_assert(offsetof(struct in_place, ret_rsp) == IN_PLACE_RET_RSP, "abi.h");
_Static_assert(IN_PLACE_ARGS == PF_MAX_STACK_BYTES, "abi.h");

/* The two values the trampolines jump back with, in rax:rdx. */
struct way_back {
	uintptr_t to, rsp;
};

struct way_back in_place_finish(void);
struct way_back in_place_crashed(void);

static struct in_place *in_place_of(struct serve_frame *f)
{
	return (struct in_place *)((char *)f - offsetof(struct in_place, frame));
}

/* Is the common case the whole story? Everything read here is read by the
 * await path too, without locks. */
static bool may_run_in_place(const struct pf_thread *t, const struct pf_import *imp,
			     const struct export_def *d, struct pf_process *callee)
{
	/* An export of another OS process runs in its own memory: the await
	 * path sends the call there (call/submit.c). */
	return callee && space_is_local(callee) && !trace_on() && imp->owner == t->self &&
	       !(imp->flags & (PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY)) &&
	       (d->flags & (PF_EXPORT_MIGRATE | PF_EXPORT_PRIVATE)) == PF_EXPORT_MIGRATE &&
	       d->nbufs == 0 && t->calls.depth < LIMIT_DEPTH - 1;
}

bool in_place_enter(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		    uintptr_t stack_args, const struct resume *how)
{
	const struct export_entry *e = imp->entry;
	struct pf_process *callee = atomic_load_explicit(&e->owner, memory_order_acquire);
	if (!callee)
		return false;
	/* One snapshot of the definition (a re-export publishes a new one). */
	const struct export_def *d = registry_def(e);
	if (!may_run_in_place(t, imp, d, callee))
		return false;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t sp = (uintptr_t)g[REG_RSP];
	uintptr_t ret_to, ret_rsp, top;
	if (how->jump) {           /* no CALL: spare the red zone, rsp exactly */
		ret_to = how->jump;
		ret_rsp = sp;
		top = sp - RED_ZONE;
	} else if (how->push) {    /* a CALL the entry emulates */
		ret_to = how->push;
		ret_rsp = sp;
		top = sp;
	} else {                   /* the caller's CALL pushed it */
		ret_to = *(const uintptr_t *)sp;
		ret_rsp = sp + 8;
		top = sp;
	}
	struct in_place *ip = (struct in_place *)((top - sizeof *ip) & ~(uintptr_t)15);
	uintptr_t rsp = (uintptr_t)ip - IN_PLACE_ARGS - 8;
	if (stack_no_room(t, rsp))
		return false;   /* the await path says it is an overflow */
	bool serial = !(d->flags & PF_EXPORT_REENTRANT);
	if (serial && !serial_try_enter(t, e))
		return false;   /* busy, or a re-entry: the await path waits or
				   reports the deadlock */

	ip->ret_to = ret_to;
	ip->ret_rsp = ret_rsp;
	ip->frame.m = NULL;
	ip->frame.callee = callee;
	ip->frame.entry = e;
	ip->frame.outer = t->serving;
	ip->frame.copies.n = 0;
	ip->frame.depth = t->calls.depth;
	ip->frame.waiting_on = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	ip->frame.in_place = true;
	ip->self = t->self;
	ip->caller = t->caller_proc;
	ip->serial = serial;
	ip->saved_errno = errno;
	ip->callee_saved[0] = g[REG_RBX];
	ip->callee_saved[1] = g[REG_RBP];
	ip->callee_saved[2] = g[REG_R12];
	ip->callee_saved[3] = g[REG_R13];
	ip->callee_saved[4] = g[REG_R14];
	ip->callee_saved[5] = g[REG_R15];
	ip->mxcsr = uc->uc_mcontext.fpregs->mxcsr;
	ip->fcw = uc->uc_mcontext.fpregs->cwd;

	/* The stack arguments the callee reads above its return address. */
	if (d->stack_bytes)
		memcpy((void *)(rsp + 8), (const void *)stack_args, d->stack_bytes);
	*(uintptr_t *)rsp = (uintptr_t)pf_x86_in_place_return;
	t->caller_proc = t->self;
	t->self = callee;
	t->serving = &ip->frame;
	g[REG_RSP] = (greg_t)rsp;
	g[REG_RIP] = (greg_t)(uintptr_t)d->fn;
	return true;
}

/* Put T back as it was before the call in IP (both ways out). */
static void leave(struct pf_thread *t, struct in_place *ip)
{
	t->serving = ip->frame.outer;
	t->self = ip->self;
	t->caller_proc = ip->caller;
	if (ip->serial)
		serial_leave(ip->frame.entry);
}

/* From pf_x86_in_place_return, in normal context. */
struct way_back in_place_finish(void)
{
	struct pf_thread *t = pf_current;
	struct in_place *ip = in_place_of(t->serving);
	leave(t, ip);
	error_clear(&t->error);
	errno = ip->saved_errno;
	return (struct way_back){ ip->ret_to, ip->ret_rsp };
}

void in_place_contain(struct pf_thread *t, ucontext_t *uc)
{
	struct in_place *ip = in_place_of(t->serving);
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_RBX] = ip->callee_saved[0];
	g[REG_RBP] = ip->callee_saved[1];
	g[REG_R12] = ip->callee_saved[2];
	g[REG_R13] = ip->callee_saved[3];
	g[REG_R14] = ip->callee_saved[4];
	g[REG_R15] = ip->callee_saved[5];
	g[REG_RSP] = (greg_t)((uintptr_t)ip - 8);   /* as at a function's entry */
	g[REG_RIP] = (greg_t)(uintptr_t)pf_x86_in_place_crashed;
	/* What the crashed code left in the control words and on the x87
	 * stack must not reach its caller (FXSAVE's abridged tag word: a 0 bit
	 * is an empty register). */
	uc->uc_mcontext.fpregs->mxcsr = ip->mxcsr;
	uc->uc_mcontext.fpregs->cwd = ip->fcw;
	uc->uc_mcontext.fpregs->ftw = 0;
}

/* From pf_x86_in_place_crashed, in normal context: the call fails. */
struct way_back in_place_crashed(void)
{
	struct pf_thread *t = pf_current;
	struct in_place *ip = in_place_of(t->serving);
	/* Calls the export made and still had in flight are given up. */
	calls_unwind(t, ip->frame.depth);
	atomic_store_explicit(&t->waiting_on, ip->frame.waiting_on, memory_order_release);
	leave(t, ip);
	struct pf_process *dead = ip->frame.callee;
	error_set(&t->error, -EOWNERDEAD,
		  "call to \"%s\" in process %s failed: %s: process %s crashed (%s) in \"%s\"",
		  ip->frame.entry->name, dead->name, pf_strerror(-EOWNERDEAD), dead->name,
		  t->crash_what, ip->frame.entry->name);
	process_crashed(dead);
	errno = ip->saved_errno;
	return (struct way_back){ ip->ret_to, ip->ret_rsp };
}
