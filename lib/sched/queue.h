/* A process's call queue: FIFO, plus the turns a non-reentrant export's
 * calls take (parked calls wait for their export's turn in arrival order).
 * Its lock also orders the process's state changes that must be atomic
 * with queueing: nothing is queued once a process stops, crashes or dies. */
#ifndef PF_QUEUE_H
#define PF_QUEUE_H

#include <stdbool.h>

struct call_msg;
struct export_entry;
struct pf_process;

/* Give P its (empty) queue. 0 or -ENOMEM. */
int queue_create(struct pf_process *p);

/* Queue M on P and wake one of P's idle threads. -ESRCH if P no longer
 * takes calls (-EOWNERDEAD if it crashed). */
int queue_push(struct pf_process *p, struct call_msg *m);
/* The oldest call that may run now (marked RUNNING), or NULL. */
struct call_msg *queue_pop(struct pf_process *p);
/* Are calls waiting on P? (A cheap look, for pollers.) */
bool queue_pending(const struct pf_process *p);
/* Give up on M while it is still queued (or parked): it will not run,
 * and the consumer that meets it frees it. False if it left the queue. */
bool queue_cancel(struct call_msg *m);
/* M, which had its export E's turn, is done: the next parked call of E
 * (now holding the turn, marked RUNNING), or NULL. */
struct call_msg *queue_pass_turn(struct pf_process *p, const struct export_entry *e);

/* State changes atomic with queueing. Each drained list is linked by
 * `next`, for the caller to fail. */
/* A running or starting P crashed: CRASHED, everything queued drained.
 * False (nothing done) if P was not running. */
bool queue_crash(struct pf_process *p, struct call_msg **drained);
/* P refuses new calls from now on (STOPPING), unless it is past that. */
void queue_stop(struct pf_process *p);
/* P's last thread left: DEAD; returns the state it had. */
int queue_finish(struct pf_process *p, struct call_msg **drained);

#endif
