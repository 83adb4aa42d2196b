/* pf_wait: collecting an asynchronous call's result by its ticket. */
#include <errno.h>
#include <string.h>
#include "base/msg.h"
#include "call/await.h"
#include "call/tickets.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "trace/record.h"

int pf_wait(uint64_t ticket, int64_t timeout_ns, pf_result *out)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return -EINVAL;
	uint64_t t0 = trace_now();
	struct call_msg *m = tickets_find(ticket);
	if (!m)
		return -ENOENT;
	if (m->from != t->proc)
		return -EPERM;
	/* Whoever completes it wakes the thread named here. */
	atomic_store(&m->caller, t);
	struct timespec deadline;
	if (timeout_ns >= 0)
		deadline = deadline_after(timeout_ns);
	if (call_wait(t, m, timeout_ns >= 0 ? &deadline : NULL) != 0)
		return -ETIMEDOUT;
	if (!tickets_forget(ticket))
		return -ENOENT;   /* another thread collected it meanwhile */
	int err = m->error;
	if (out && !err)
		call_result_public(&m->result, out);
	trace_ticket_collected(t, m, t0, err);
	msg_free(m);
	return err;
}
