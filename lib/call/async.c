/* pf_wait: collecting an asynchronous call's result by its ticket. */
#include <errno.h>
#include <string.h>
#include "base/msg.h"
#include "call/await.h"
#include "call/tickets.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "trace/record.h"

static void fill_result(const struct call_result *r, pf_result *out)
{
	memset(out, 0, sizeof *out);
	out->rax = r->rax;
	out->rdx = r->rdx;
	memcpy(out->xmm0, r->xmm0, 16);
	memcpy(out->xmm1, r->xmm1, 16);
	memcpy(&out->xmm0_float, r->xmm0, sizeof out->xmm0_float);
	out->has_long_double = (int)r->x87;
	if (r->x87 >= 1)
		memcpy(&out->st0, r->st0, 10);
	if (r->x87 >= 2)
		memcpy(&out->st1, r->st1, 10);
}

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
		fill_result(&m->result, out);
	trace_ticket_collected(t, m, t0, err);
	msg_free(m);
	return err;
}
