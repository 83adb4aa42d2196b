/* A process's threads (servers.c). */
#ifndef PF_SERVERS_H
#define PF_SERVERS_H

#include "proc/thread.h"

struct pf_process;

/* The calling thread becomes a thread of P in ROLE: its record, the entry
 * layer's state (decoder, alternate stack), its place among P's threads.
 * 0 or a negative errno value. */
int servers_thread_join(struct pf_process *p, enum thread_role role, struct pf_thread **out);
/* T, the calling thread, leaves P. */
void servers_thread_part(struct pf_process *p, struct pf_thread *t);

/* Serve P's queue on T until P stops and its queue is empty (restarting P
 * in place after a crash, when T is a server and the policy says so). */
void servers_serve_until_stopped(struct pf_thread *t, struct pf_process *p);

/* The last thread out withdraws the exports and closes P. */
void servers_process_finish(struct pf_process *p);

/* Start server threads FROM .. TO - 1 of P in the calling OS process; the
 * first runs P's init. 0 or -EAGAIN. */
int servers_start(struct pf_process *p, unsigned from, unsigned to);

#endif
