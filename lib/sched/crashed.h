/* A process whose export crashed. */
#ifndef PF_CRASHED_H
#define PF_CRASHED_H

struct pf_process;

/* An export of P faulted (called on the thread that recovered): fail what
 * is queued with -EOWNERDEAD, withdraw the exports, wake P's threads (they
 * restart it or leave) and tell the watchers. */
void process_crashed(struct pf_process *p);

#endif
