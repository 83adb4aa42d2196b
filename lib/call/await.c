#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "base/msg.h"
#include "call/await.h"
#include "call/submit.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/abandon.h"
#include "sched/queue.h"
#include "sched/serve.h"
#include "trace/record.h"

struct reply_wait {
	struct call_msg *m;
	struct pf_process *own;
};

static bool reply_or_work(void *ctx)
{
	struct reply_wait *w = ctx;
	return atomic_load_explicit(&w->m->state, memory_order_acquire) == MSG_DONE ||
	       queue_pending(w->own);
}

static int64_t timeout_of(struct pf_thread *t, struct call_msg *m)
{
	int64_t ns = atomic_load_explicit(&m->import->timeout_ns, memory_order_relaxed);
	return ns ? ns : t->proc->opts.call_timeout_ns;
}

int call_wait(struct pf_thread *t, struct call_msg *m, const struct timespec *deadline)
{
	/* A synchronous call was marked as waited for when it was queued. */
	struct call_msg *outer = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	atomic_store_explicit(&t->waiting_on, m, memory_order_release);
	struct reply_wait w = { m, t->proc };
	int rc = 0;
	while (atomic_load_explicit(&m->state, memory_order_acquire) != MSG_DONE) {
		struct call_msg *work = queue_pop(t->proc);
		if (work) {
			serve_call(t, work);
			continue;
		}
		/* A synchronous call is always the top of T's message stack. */
		if (!wait_until(&t->wait, reply_or_work, &w, &t->proc->threads, deadline) &&
		    (m->kind != MSG_SYNC || call_abandon(t, t->calls.depth - 1))) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	atomic_store_explicit(&t->waiting_on, outer, memory_order_release);
	return rc;
}

void call_await(struct call_msg *m, struct call_result *out)
{
	struct pf_thread *t = atomic_load(&m->caller);
	int saved_errno = errno;   /* the caller made a plain C call */
	uint64_t ret = 0;
	int err = m->pushed ? 0 : call_submit(t, m, &ret);
	if (!err && (m->import->flags & (PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY))) {
		call_result_ticket(out, ret);
	} else if (!err) {
		int64_t ns = timeout_of(t, m);
		struct timespec deadline = ns ? deadline_after(ns) : (struct timespec){ 0, 0 };
		err = call_wait(t, m, ns ? &deadline : NULL);
		if (err == -ETIMEDOUT)
			error_set(&t->error, err, "call to \"%s\" in process %s timed out after %lld ns",
				  m->entry->name, m->callee->name, (long long)ns);
		else if ((err = m->error) != 0)
			error_set(&t->error, err, "call to \"%s\" in process %s failed: %s%s%s",
				  m->entry->name, m->callee->name, pf_strerror(err),
				  m->detail[0] ? ": " : "", m->detail);
		else
			*out = m->result;
		call_end_waiting(t, m);
	}
	if (err) {   /* a failed call returns zeros, popped as the callee would */
		const struct export_def *d = registry_def(m->import->entry);
		call_result_failed(out, d ? d->callee_pops : 0);
	}
	else
		error_clear(&t->error);
	trace_call_returned(t, m, err, ret);
	t->calls.depth--;
	errno = saved_errno;
}
