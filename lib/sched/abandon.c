#include <stdatomic.h>
#include "base/msg.h"
#include "proc/thread.h"
#include "sched/abandon.h"
#include "sched/queue.h"

bool call_abandon(struct pf_thread *t, unsigned slot)
{
	struct call_msg *m = t->calls.slot[slot];
	/* Whoever meets M next frees it, or (a thread's own storage) drops
	 * it: the slot needs a message of its own from now on. */
	struct call_msg *fresh = msg_alloc();
	if (!fresh)
		return false;
	uint32_t running = MSG_RUNNING;
	if (queue_cancel(m) ||
	    atomic_compare_exchange_strong(&m->state, &running, MSG_ABANDONED)) {
		t->calls.slot[slot] = fresh;
		return true;
	}
	msg_free(fresh);
	return false;
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
