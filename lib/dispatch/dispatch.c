#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <string.h>
#include "base/msg.h"
#include "call/submit.h"
#include "dispatch/dispatch.h"
#include "proc/thread.h"
#include "x86_64/regs.h"

/* Take T's next message and fill it with the register image in UC. Never
 * fails: a call nested too deep is recorded in the message and reported
 * by the await path. */
static struct call_msg *capture(struct pf_thread *t, struct pf_import *imp,
				const ucontext_t *uc, uintptr_t stack_args)
{
	/* The last message is kept to report "too deep" through. */
	struct call_msg *m = t->calls.slot[t->calls.depth];
	m->error = t->calls.depth == LIMIT_DEPTH - 1 ? -ENOSPC : 0;
	t->calls.depth++;
	atomic_store_explicit(&m->state, MSG_FILLED, memory_order_relaxed);
	m->kind = MSG_SYNC;
	m->import = imp;
	atomic_store_explicit(&m->caller, t, memory_order_relaxed);
	m->outer_wait = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	atomic_store_explicit(&m->server, NULL, memory_order_relaxed);
	atomic_store_explicit(&m->callee, NULL, memory_order_relaxed);
	m->from = t->self;
	m->detail[0] = '\0';
	m->in_turn = false;
	m->pushed = false;
	m->stack_args = (const uint8_t *)stack_args;

	const greg_t *g = uc->uc_mcontext.gregs;
	m->regs.gpr[0] = (uint64_t)g[REG_RDI];
	m->regs.gpr[1] = (uint64_t)g[REG_RSI];
	m->regs.gpr[2] = (uint64_t)g[REG_RDX];
	m->regs.gpr[3] = (uint64_t)g[REG_RCX];
	m->regs.gpr[4] = (uint64_t)g[REG_R8];
	m->regs.gpr[5] = (uint64_t)g[REG_R9];
	m->regs.rax = (uint64_t)g[REG_RAX];
	memcpy(m->regs.xmm, uc->uc_mcontext.fpregs->_xmm, sizeof m->regs.xmm);
	return m;
}

/* Would the await path overflow T's stack from SP? Only a stack pointer
 * inside T's own stack (or just below it, in the guard) can be judged: a
 * program running on a stack of its own making is taken at its word. */
static bool no_room(const struct pf_thread *t, uintptr_t sp)
{
	if (!t->stack_hi || sp > t->stack_hi || sp + LIMIT_CALL_HEADROOM < t->stack_lo)
		return false;
	return sp < t->stack_lo + LIMIT_CALL_HEADROOM + 8;
}

int dispatch_call(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		  uintptr_t stack_args, struct resume how)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t sp = (uintptr_t)g[REG_RSP];
	/* The await path runs on the caller's stack: with too little left,
	 * it would overflow inside pfipc (in the handler itself, for the
	 * push below). Refuse first; the entry makes it the caller's crash. */
	if (no_room(t, sp))
		return -EFAULT;
	struct call_msg *m = capture(t, imp, uc, stack_args);
	call_submit_fast(m);
	if (how.push) {
		sp -= 8;
		*(uint64_t *)sp = how.push;
		g[REG_RSP] = (greg_t)sp;
	}
	g[REG_RIP] = (greg_t)(uintptr_t)pf_x86_await;
	g[REG_RDI] = (greg_t)(uintptr_t)m;
	return 0;
}
