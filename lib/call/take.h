/* A thread's next message, for a synchronous call or a window access. */
#ifndef PF_CALL_TAKE_H
#define PF_CALL_TAKE_H

struct pf_thread;
struct pf_import;
struct call_msg;

/* Take T's next message (one per nesting level) for a synchronous call
 * through IMP that came in by VIA, filled with who calls and nothing
 * else: the caller sets the stack arguments and the register image. Never
 * fails: a call nested too deep is recorded in the message (-ENOSPC) and
 * reported by the await path. Async-signal-safe. */
struct call_msg *call_take(struct pf_thread *t, struct pf_import *imp, const char *via);

#endif
