/* Submitting a call: everything between the fault and the callee's queue.
 * Normal context (the await trampoline), never the signal handler. */
#ifndef PF_SUBMIT_H
#define PF_SUBMIT_H

#include <stdint.h>

struct call_msg;
struct pf_thread;

/* Bind M to the process serving its import now (a lazy import waits),
 * check identity and grants, copy the stack arguments, then queue it on
 * the callee — or serve it right here, for a migrating export. An
 * asynchronous or one-way call goes as a heap copy, and *RET gets what the
 * caller's call returns (a ticket, or 0). 0, or a negative errno value with
 * T's error message saying why. */
int call_submit(struct pf_thread *t, struct call_msg *m, uint64_t *ret);

#endif
