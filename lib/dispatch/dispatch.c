#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <string.h>
#include "arch.h"
#include "base/msg.h"
#include "call/submit.h"
#include "call/take.h"
#include "dispatch/dispatch.h"
#include "dispatch/in_place.h"
#include "dispatch/stack_room.h"
#include "proc/thread.h"

/* Take T's next message and fill it with the register image in UC. Never
 * fails: a call nested too deep is recorded in the message and reported
 * by the await path. */
static struct call_msg *capture(struct pf_thread *t, struct pf_import *imp,
				const ucontext_t *uc, uintptr_t stack_args,
				const char *via)
{
	struct call_msg *m = call_take(t, imp, via);
	m->stack_args = (const uint8_t *)stack_args;
	arch_capture(&m->regs, uc);
	return m;
}


/* The caller made no CALL and may keep live data below its stack pointer
 * (x86-64's red zone): the trampoline's frame goes below that, and says
 * where to jump back to and which stack pointer to restore (the
 * architecture's abi.h). Entered like a function: the stack pointer one
 * word below a multiple of 16. */
static uintptr_t jump_frame_below(uintptr_t sp)
{
	return ((sp - RED_ZONE - JUMP_FRAME - ARCH_STACK_ALIGN) & ~(uintptr_t)(ARCH_STACK_ALIGN - 1)) +
	       ARCH_STACK_ALIGN - ARCH_WORD;
}

static void resume_by_jump(greg_t *g, uintptr_t frame, uintptr_t to, struct call_msg *m)
{
	((uintptr_t *)frame)[JUMP_TO / ARCH_WORD] = to;
	((uintptr_t *)frame)[JUMP_SP / ARCH_WORD] = (uintptr_t)g[REG_SP];
	g[REG_SP] = (greg_t)frame;
	g[REG_PC] = (greg_t)(uintptr_t)arch_await_jump;
	g[REG_MSG] = (greg_t)(uintptr_t)m;
}

int dispatch_call(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		  uintptr_t stack_args, struct resume how, const char *via)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t sp = (uintptr_t)g[REG_SP];
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
		sp -= ARCH_WORD;
		*(uintptr_t *)sp = how.push;
		g[REG_SP] = (greg_t)sp;
	}
	g[REG_PC] = (greg_t)(uintptr_t)arch_await;
	g[REG_MSG] = (greg_t)(uintptr_t)m;
	return 0;
}
