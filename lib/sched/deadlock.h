/* Deadlock detection: would a call wait forever for a busy export? */
#ifndef PF_DEADLOCK_H
#define PF_DEADLOCK_H

#include <stdbool.h>

struct call_msg;
struct pf_thread;

/* Would M, waiting for its export held by thread H, wait forever? H waits
 * for a call, served by a thread that waits for a call, ...; if that chain
 * reaches M's caller, nobody can ever proceed. If so, M's detail names the
 * cycle ("deadlock: a -> b -> a (...)"). Reads other threads' waits with
 * atomics: a chain that changes meanwhile gives a cycle that was real at
 * some instant, or none. */
bool deadlock_would_wait_forever(struct call_msg *m, struct pf_thread *h);

#endif
