/* Who is calling, and what pfipc keeps per caller: per-caller variables,
 * handle tables, grants. Everything here is keyed by process identities
 * that come from the thread that faulted (call_msg.from), never from the
 * arguments of a call. */
#ifndef PF_IDENTITY_H
#define PF_IDENTITY_H

struct pf_process;

/* P has exited (its last thread left): drop what other processes kept for
 * P as a caller, what P kept as a server, and the grants P held or gave. */
void identity_process_exit(struct pf_process *p);

#endif
