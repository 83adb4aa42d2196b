#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <string.h>
#include "base/msg.h"
#include "call/submit.h"
#include "dispatch/dispatch.h"
#include "dispatch/in_place.h"
#include "dispatch/stack_room.h"
#include "proc/thread.h"
#include "trace/record.h"
#include "x86_64/regs.h"

/* Take T's next message and fill it with the register image in UC. Never
 * fails: a call nested too deep is recorded in the message and reported
 * by the await path. */
static struct call_msg *capture(struct pf_thread *t, struct pf_import *imp,
				const ucontext_t *uc, uintptr_t stack_args,
				const char *via)
{
	/* The last message is kept to report "too deep" through. */
	struct call_msg *m = t->calls.slot[t->calls.depth];
	m->error = t->calls.depth == LIMIT_DEPTH - 1 ? -ENOSPC : 0;
	t->calls.depth++;
	atomic_store_explicit(&m->state, MSG_FILLED, memory_order_relaxed);
	m->kind = MSG_SYNC;
	m->import = imp;
	atomic_store_explicit(&m->caller, t, memory_order_relaxed);
	atomic_store_explicit(&m->server, NULL, memory_order_relaxed);
	atomic_store_explicit(&m->callee, NULL, memory_order_relaxed);
	m->from = t->self;
	m->detail[0] = '\0';
	m->in_turn = false;
	m->pushed = false;
	m->stack_args = (const uint8_t *)stack_args;
	trace_call_entered(m, via);

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


/* The caller made no CALL and may keep live data below its rsp: the
 * trampoline's frame goes below the red zone, and says where to jump back
 * to and which rsp to restore (x86_64/abi.h). Entered like a function:
 * rsp = 8 mod 16. */
static uintptr_t jump_frame_below(uintptr_t sp)
{
	return ((sp - RED_ZONE - JUMP_FRAME - 16) & ~(uintptr_t)15) + 8;
}

static void resume_by_jump(greg_t *g, uintptr_t frame, uintptr_t to, struct call_msg *m)
{
	((uint64_t *)frame)[JUMP_TO / 8] = to;
	((uint64_t *)frame)[JUMP_RSP / 8] = (uint64_t)g[REG_RSP];
	g[REG_RSP] = (greg_t)frame;
	g[REG_RIP] = (greg_t)(uintptr_t)pf_x86_await_jump;
	g[REG_RDI] = (greg_t)(uintptr_t)m;
}

int dispatch_call(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		  uintptr_t stack_args, struct resume how, const char *via)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t sp = (uintptr_t)g[REG_RSP];
	/* The await path runs on the caller's stack: with too little left,
	 * it would overflow inside pfipc (in the handler itself, for the
	 * push below). Refuse first; the entry makes it the caller's crash. */
	if (how.jump)
		sp = jump_frame_below(sp);
	if (in_place_enter(t, imp, uc, stack_args, &how))
		return 0;
	if (stack_no_room(t, sp))
		return -EFAULT;
	struct call_msg *m = capture(t, imp, uc, stack_args, via);
	call_submit_fast(m);
	if (how.jump) {
		resume_by_jump(g, sp, how.jump, m);
		return 0;
	}
	if (how.push) {
		sp -= 8;
		*(uint64_t *)sp = how.push;
		g[REG_RSP] = (greg_t)sp;
	}
	g[REG_RIP] = (greg_t)(uintptr_t)pf_x86_await;
	g[REG_RDI] = (greg_t)(uintptr_t)m;
	return 0;
}
