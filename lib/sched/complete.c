#include <stdatomic.h>
#include "base/msg.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/complete.h"

void msg_complete(struct call_msg *m, int err)
{
	m->error = err;
	if (m->kind == MSG_ONEWAY) {
		msg_free(m);
		return;
	}
	/* Read all we need first: once DONE is visible the waiter may free
	 * (async) or reuse (sync) the message. An async ticket may be waited
	 * for on any thread of the caller's process, so all of them hear. */
	enum msg_kind kind = m->kind;
	struct pf_thread *caller = atomic_load(&m->caller);
	struct pf_process *from = m->from;
	uint32_t was = atomic_exchange(&m->state, MSG_DONE);
	if (was == MSG_ABANDONED) {
		/* The caller gave up and handed the message to us; a thread's
		 * own storage is simply never used again. */
		msg_free(m);
		return;
	}
	if (kind == MSG_ASYNC)
		wake_group_notify_all(&from->threads);
	else
		waiter_notify(&caller->wait);
}

void msg_fail_all(struct call_msg *m, int err)
{
	while (m) {
		struct call_msg *next = m->next;
		msg_complete(m, err);
		m = next;
	}
}
