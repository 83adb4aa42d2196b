#include <stdatomic.h>
#include "base/msg.h"
#include "proc/thread.h"
#include "sched/abandon.h"
#include "sched/queue.h"

bool call_abandon(struct pf_thread *t, unsigned slot)
{
	struct call_msg *m = t->calls.slot[slot];
	struct pf_process *callee = atomic_load(&m->callee);
	if (callee && queue_cancel(callee, m))
		return true;
	uint32_t running = MSG_RUNNING;
	struct call_msg *fresh = msg_alloc();
	if (!fresh || !atomic_compare_exchange_strong(&m->state, &running, MSG_ABANDONED)) {
		msg_free(fresh);
		return false;
	}
	t->calls.slot[slot] = fresh;
	return true;
}

void calls_unwind(struct pf_thread *t, unsigned depth)
{
	for (unsigned i = depth; i < t->calls.depth; i++) {
		struct call_msg *m = t->calls.slot[i];
		for (;;) {
			uint32_t state = atomic_load(&m->state);
			/* Filled but never queued, or finished: nothing is
			 * in flight. */
			if (state == MSG_FILLED || state == MSG_DONE)
				break;
			if ((state == MSG_QUEUED || state == MSG_RUNNING) && call_abandon(t, i))
				break;
			/* The callee is copying results back (or took the call
			 * just now, or memory ran out): it ends soon. */
			__builtin_ia32_pause();
		}
	}
	t->calls.depth = depth;
}
