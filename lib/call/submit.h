/* Submitting a call: everything between the fault and the callee's queue.
 * Normal context (the await trampoline), never the signal handler. */
#ifndef PF_SUBMIT_H
#define PF_SUBMIT_H

#include <stdbool.h>
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

/* T's synchronous call M is over (answered, failed or given up): T waits
 * for what it waited for before M. */
void call_end_waiting(struct pf_thread *t, struct call_msg *m);

/* The common case, from the fault handler itself (async-signal-safe: no
 * lock, no allocation): M's import is bound to a running process, public,
 * synchronous and not migrating. Then M is bound and queued on the callee
 * at once — the callee runs it while the caller is still returning from
 * the signal — M->pushed is set and true returned. Anything else returns
 * false with nothing done, for call_submit in normal context. */
bool call_submit_fast(struct call_msg *m);

#endif
