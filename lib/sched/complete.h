/* Handing a finished call back to whoever waits for it. */
#ifndef PF_COMPLETE_H
#define PF_COMPLETE_H

struct call_msg;

/* M is finished (ERR 0) or failed (ERR < 0, possibly without running):
 * wake the caller waiting for it, or free it (one-way calls, and calls
 * whose caller gave up). */
void msg_complete(struct call_msg *m, int err);

/* Fail every call of the list LIST (linked by `next`) with ERR. */
void msg_fail_all(struct call_msg *list, int err);

#endif
