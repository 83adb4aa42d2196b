/* One window access as a call: a message to the window's owner, submitted
 * and waited for in normal context (from the restore trampoline that
 * carries out an emulated instruction), with everything a call has:
 * binding, grants, the owner's queue, the wait (serving the caller's own
 * process meanwhile), the timeout, the error. */
#ifndef PF_CALL_WINDOW_H
#define PF_CALL_WINDOW_H

struct pf_import;
struct pf_thread;
struct window_io;

/* T makes access IO through IMP (a window mapping's), labelled VIA
 * ("window", "port") in traces and statistics. A one-way IMP (posted
 * stores) returns once the message is sent. 0, or a negative errno value
 * with T's error message saying why; on success a read's bytes are in
 * IO->value. */
int call_window(struct pf_thread *t, struct pf_import *imp, const char *via,
		struct window_io *io);

#endif
