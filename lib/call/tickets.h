/* Tickets of asynchronous calls: number → message, until pf_wait
 * collects it. Ticket numbers come from a counter and are never reused,
 * so a stale ticket is simply not found. */
#ifndef PF_TICKETS_H
#define PF_TICKETS_H

#include <stdbool.h>
#include <stdint.h>

struct call_msg;

/* Give M a ticket (stored in M->ticket and *OUT). 0 or -ENOSPC. */
int tickets_issue(struct call_msg *m, uint64_t *out);

/* The message of TICKET, or NULL. */
struct call_msg *tickets_find(uint64_t ticket);

/* Forget TICKET (collected, or never handed out because its call failed).
 * False if it was not there (another thread collected it). */
bool tickets_forget(uint64_t ticket);

#endif
