/* Serving a window access: the message's window_io, run by the window's
 * read, write or update function instead of an export. */
#ifndef PF_WINDOW_SERVE_H
#define PF_WINDOW_SERVE_H

struct call_msg;

/* Serve the window access M carries (M's export is a window), on the
 * thread serving M: 0, or the negative errno value that fails it. */
int window_serve(struct call_msg *m);

#endif
