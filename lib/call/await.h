/* Waiting for a call: where a caller resumes after the fault (the await
 * trampoline calls call_await), and the wait itself, during which a thread
 * serves calls queued on its own process — so a callee can call back into
 * its caller without a second thread (as Binder does). */
#ifndef PF_AWAIT_H
#define PF_AWAIT_H

#include <time.h>

struct call_msg;
struct call_result;
struct pf_thread;

/* From the await trampoline, in normal context: submit M, wait for it,
 * and write the result registers to OUT (all zero on failure, with
 * pf_errno set). */
void call_await(struct call_msg *m, struct call_result *out);

/* Wait for M (a call T's process made) until done or DEADLINE (NULL:
 * none), serving T's own process meanwhile. 0 or -ETIMEDOUT (a synchronous
 * call is then given up). */
int call_wait(struct pf_thread *t, struct call_msg *m, const struct timespec *deadline);

#endif
