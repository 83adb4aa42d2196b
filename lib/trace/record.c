/* The recording side of the hooks (record.h): one record per finished
 * slice or per instant, into the calling thread's buffer, and the
 * statistics' counters. Normal context, except trace_stamp_entered. */
#include <string.h>
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "trace/buffer.h"
#include "trace/record.h"
#include "trace/stats.h"

static _Atomic uint64_t next_call_id = 1;

void trace_stamp_entered(struct call_msg *m)
{
	unsigned flags = atomic_load_explicit(&trace_flags, memory_order_relaxed);
	m->trace_id = flags & TRACE_EVENTS
		? atomic_fetch_add_explicit(&next_call_id, 1, memory_order_relaxed) : 0;
	m->t_queued = 0;
	m->t_entered = trace_clock();
}

static bool recording(void)
{
	return atomic_load_explicit(&trace_flags, memory_order_relaxed) & TRACE_EVENTS;
}

static bool counting(void)
{
	return atomic_load_explicit(&trace_flags, memory_order_relaxed) & TRACE_STATS;
}

static uint32_t index_of(const struct pf_process *p)
{
	return p ? p->index : TRACE_NO_PROC;
}

/* The process the calling thread belongs to (its track's). */
static uint32_t own_process(void)
{
	struct pf_thread *t = pf_current;
	return t ? index_of(t->proc) : TRACE_NO_PROC;
}

/* Records for one event with TEXT (may be NULL) after it, in the calling
 * thread's buffer. All or nothing: a full buffer counts one dropped
 * event. */
static void record(const struct trace_rec *r, const char *text)
{
	struct pf_thread *t = pf_current;
	struct trace_buf *b = trace_buf_mine(t ? (int)t->role : -1);
	if (!b)
		return;
	size_t len = text ? strlen(text) : 0;
	unsigned ntext = len ? (unsigned)(len / TRACE_TEXT_PER_REC + 1) : 0;
	if (ntext > TRACE_TEXT_RECS)
		ntext = TRACE_TEXT_RECS;
	struct trace_rec *out = trace_buf_reserve(b, 1 + ntext);
	if (!out)
		return;
	*out = *r;
	out->ntext = (uint8_t)ntext;
	if (ntext) {
		/* Cut to what fits, NUL-terminated. */
		size_t room = ntext * TRACE_TEXT_PER_REC - 1;
		char *dst = (char *)(out + 1);
		memcpy(dst, text, len < room ? len : room);
		dst[len < room ? len : room] = '\0';
	}
	trace_buf_publish(b, 1 + ntext);
}

static struct trace_rec call_rec(enum trace_kind kind, const struct call_msg *m,
				 const char *name, int err)
{
	return (struct trace_rec){
		.kind = (uint8_t)kind, .call_kind = m->kind, .id = m->trace_id,
		.name = name, .via = m->via, .err = err, .proc = own_process(),
	};
}

void trace_record_returned(struct pf_thread *t, struct call_msg *m, int err, uint64_t ret)
{
	const struct export_entry *e = m->import->entry;
	bool waited = !(m->import->flags & (PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY));
	/* An asynchronous or one-way call that was sent learns its outcome
	 * when it completes (trace_record_completed). */
	if (counting() && (waited || err))
		stats_outcome(e, m->via, err);
	if (!recording() || !m->trace_id)
		return;
	uint64_t now = trace_clock();
	struct trace_rec r = call_rec(waited ? TR_WAIT : TR_SUBMIT, m, e->name, err);
	r.call_kind = waited ? MSG_SYNC : (m->import->flags & PF_IMPORT_ASYNC) ? MSG_ASYNC : MSG_ONEWAY;
	r.t0 = m->t_entered;
	r.t1 = now;
	r.aux = waited || err ? 0 : ret;
	r.peer = index_of(atomic_load_explicit(&m->callee, memory_order_relaxed));
	record(&r, err ? t->error.text : NULL);
	if (err == -ETIMEDOUT) {
		struct trace_rec i = call_rec(TR_TIMEOUT, m, e->name, err);
		i.t0 = i.t1 = now;
		record(&i, NULL);
	}
}

void trace_record_served(struct pf_thread *t, struct call_msg *m, uint64_t t0, int err,
			 const char *crash)
{
	(void)t;
	uint64_t t_crash = crash ? trace_clock() : 0;
	uint64_t now = trace_clock();
	bool queued = m->t_queued != 0 && m->t_queued <= t0;
	if (counting())
		stats_served(m->entry, m->via, queued, queued ? t0 - m->t_queued : 0, now - t0);
	if (!recording() || !m->trace_id)
		return;
	struct trace_rec r = call_rec(TR_SERVE, m, m->entry->name, err);
	r.t0 = t0;
	r.t1 = now;
	r.aux = queued ? m->t_queued : 0;
	r.peer = index_of(m->from);
	r.flags = atomic_load_explicit(&m->caller, memory_order_relaxed) == t &&
		  (m->flags & PF_EXPORT_MIGRATE) ? TRF_MIGRATED : 0;
	if (crash) {
		struct trace_rec c = call_rec(TR_CRASH, m, m->entry->name, err);
		c.t0 = c.t1 = t_crash;
		record(&c, crash);
	}
	record(&r, NULL);
}

void trace_record_refused(struct pf_thread *t, struct call_msg *m, int err)
{
	(void)t;
	if (!recording() || !m->trace_id)
		return;
	struct trace_rec r = call_rec(TR_REFUSED, m, m->entry->name, err);
	r.t0 = r.t1 = trace_clock();
	r.peer = index_of(m->from);
	record(&r, m->detail[0] ? m->detail : NULL);
}

void trace_record_unwound(struct pf_thread *t, unsigned depth)
{
	if (!recording())
		return;
	uint64_t now = trace_clock();
	/* Innermost first: each record ends where the crash ended it. */
	for (unsigned i = t->calls.depth; i-- > depth;) {
		struct call_msg *m = t->calls.slot[i];
		if (!m->t_entered || !m->trace_id)
			continue;
		struct trace_rec r = call_rec(TR_UNWOUND, m, m->import->entry->name, -EOWNERDEAD);
		r.call_kind = MSG_SYNC;
		r.t0 = m->t_entered;
		r.t1 = now;
		r.peer = index_of(atomic_load_explicit(&m->callee, memory_order_relaxed));
		record(&r, NULL);
	}
}

void trace_record_completed(struct call_msg *m, int err)
{
	if (counting())
		stats_outcome(m->import->entry, m->via, err);
}

void trace_record_collected(struct pf_thread *t, struct call_msg *m, uint64_t t0, int err)
{
	(void)t;
	if (!recording() || !m->t_entered || !m->trace_id)
		return;
	struct trace_rec r = call_rec(TR_COLLECT, m, m->import->entry->name, err);
	r.t0 = t0;
	r.t1 = trace_clock();
	r.aux = m->ticket;
	r.peer = index_of(atomic_load_explicit(&m->callee, memory_order_relaxed));
	record(&r, NULL);
}

void trace_record_died(struct pf_process *p, int why)
{
	if (!recording())
		return;
	/* A process-wide event: it belongs to P whichever thread tells it. */
	struct trace_rec r = { .kind = TR_DIED, .err = why, .proc = p->index,
			       .peer = TRACE_NO_PROC };
	r.t0 = r.t1 = trace_clock();
	record(&r, NULL);
}

void trace_record_restarted(struct pf_process *p, uint64_t t0, int rc)
{
	if (!recording())
		return;
	struct trace_rec r = { .kind = TR_RESTART, .err = rc, .proc = p->index,
			       .peer = TRACE_NO_PROC };
	r.t0 = t0;
	r.t1 = trace_clock();
	record(&r, NULL);
}
