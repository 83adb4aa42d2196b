/* Calls: captured in the fault handler, submitted and awaited in normal
 * context, served on the callee's thread, completed back to the caller. */
#ifndef PF_CALL_H
#define PF_CALL_H

#include <setjmp.h>
#include <stdbool.h>
#include <time.h>
#include <ucontext.h>
#include "sched/copies.h"
#include "base/msg.h"

struct pf_thread;
struct pf_import;

/* In the fault handler: take T's next message and fill it with the
 * register image in UC and where the stack arguments are. Never fails: a
 * problem is recorded in the message and reported by call_await.
 * Async-signal-safe. */
struct call_msg *call_capture(struct pf_thread *t, struct pf_import *imp,
			      const ucontext_t *uc, uintptr_t stack_args);

/* From the await trampoline, in normal context: bind, queue (or run, for a
 * migrating export), wait, and write the result registers to OUT. */
void call_await(struct call_msg *m, struct call_result *out);

/* On a thread of the callee: run M and complete it. A crash inside the
 * export comes back here (see fault.c) and completes M with -EOWNERDEAD. */
void call_serve(struct pf_thread *t, struct call_msg *m);

/* The innermost export running on a thread: where a crash recovers to. */
struct serve_frame {
	jmp_buf recover;
	struct call_msg *m;
	struct serve_frame *outer;
	struct buffer_copies copies;
};

/* Wait for M (queued by T's process) until done or DEADLINE (NULL: none),
 * serving T's own process meanwhile. 0 or -ETIMEDOUT. */
int call_wait(struct pf_thread *t, struct call_msg *m, const struct timespec *deadline);

/* Would M, waiting for its export held by H, wait forever (a cycle of
 * waits back to M's caller)? If so, M's detail names the cycle. */
bool call_would_deadlock(struct call_msg *m, struct pf_thread *h);

/* M is finished (ERR 0) or failed without running (ERR < 0): hand it
 * back to whoever waits for it, or free it. */
void call_complete(struct call_msg *m, int err);

#endif
