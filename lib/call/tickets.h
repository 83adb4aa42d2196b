/* Tickets of asynchronous calls: number → message, until pf_wait
 * collects it. */
#ifndef PF_TICKETS_H
#define PF_TICKETS_H

#include <stdint.h>

struct call_msg;

/* Give M a ticket (stored in M->ticket and *OUT). 0 or -ENOSPC. */
int tickets_issue(struct call_msg *m, uint64_t *out);

/* Forget a ticket that was never handed out (its call failed). */
void tickets_forget(uint64_t ticket);

#endif
