/* The owner's side of a window access. The serving thread is set up as
 * for any call (pf_self, pf_caller, the export's turn, crash recovery);
 * this only runs the owner's function on the access in the message. */
#include <errno.h>
#include <stdatomic.h>
#include "base/msg.h"
#include "ident/windows.h"
#include "sched/window_serve.h"

/* The instruction's step, as the owner's update function calls it. It
 * writes the accessing thread's registers, which wait in that thread's
 * restore frame: only while the thread still waits for this access. As
 * copying out-buffers back does (serve.c), FINISHING first: from then on
 * the accessor cannot give up (a timeout), and if it already has, the
 * step does not run and nothing is written back. */
static int step(void *arg, void *value)
{
	struct call_msg *m = arg;
	uint32_t running = MSG_RUNNING;
	if (!atomic_compare_exchange_strong(&m->state, &running, MSG_FINISHING))
		return 0;
	return m->io.step(m->io.step_ctx, value) ? 1 : 0;
}

/* An owner's function returns 0 or a negative errno value; anything else
 * is taken as success. */
static int result(int rc)
{
	return rc < 0 ? rc : 0;
}

static int update(const struct window *w, struct call_msg *m)
{
	struct window_io *io = &m->io;
	if (w->ops.update)
		return result(w->ops.update(w->ctx, io->offset, io->width, step, m));
	/* Without one, read, step and write back to back: nothing else
	 * reaches a window that takes turns between them (pf_window_create
	 * refuses a reentrant window without an update function). */
	if (!w->ops.read || !w->ops.write)
		return -EOPNOTSUPP;
	int rc = result(w->ops.read(w->ctx, io->offset, io->width, io->value));
	if (!rc && step(m, io->value))
		rc = result(w->ops.write(w->ctx, io->offset, io->width, io->value));
	return rc;
}

int window_serve(struct call_msg *m)
{
	const struct window *w = window_of(m->entry);
	struct window_io *io = &m->io;
	if (!w)
		return -EINVAL;
	switch (io->op) {
	case WINDOW_READ:
		return w->ops.read ? result(w->ops.read(w->ctx, io->offset, io->width, io->value))
				   : -EOPNOTSUPP;
	case WINDOW_WRITE:
		return w->ops.write ? result(w->ops.write(w->ctx, io->offset, io->width, io->value))
				    : -EOPNOTSUPP;
	case WINDOW_UPDATE:
		return update(w, m);
	}
	return -EINVAL;
}
