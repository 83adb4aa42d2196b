#include <stdatomic.h>
#include "base/msg.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/complete.h"
#include "trace/record.h"

void msg_complete(struct call_msg *m, int err)
{
	trace_call_completed(m, err);
	m->error = err;
	if (m->kind == MSG_ONEWAY) {
		msg_free(m);
		return;
	}
	/* Read all we need first: once DONE is visible the waiter may free
	 * (async) or reuse (sync) the message. An async ticket may be waited
	 * for on any thread of the caller's process, so all of them hear. */
	enum msg_kind kind = m->kind;
	struct pf_thread *caller = atomic_load_explicit(&m->caller, memory_order_relaxed);
	if (kind == MSG_SYNC && caller == pf_current) {
		/* A migrating call, served on its caller's own thread: nobody
		 * else waits for it, and its caller cannot have given up. */
		atomic_store_explicit(&m->state, MSG_DONE, memory_order_release);
		return;
	}
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
