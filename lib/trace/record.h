/* What the call path tells the trace layer: the hooks.
 *
 * Each hook is one line in the call path (dispatch, call, sched,
 * lifecycle) and, while tracing and statistics are both off, costs at most
 * a relaxed load of `trace_flags` and a branch that is never taken. The
 * work is out of line, below. trace_call_entered and trace_call_queued run
 * in the fault handler (the handler queues the common call itself): they
 * only stamp the message, with no buffer, allocation or formatting; every
 * other hook runs in normal context.
 *
 * A call is stamped when it enters (the fault) and when it is queued;
 * nothing is recorded for it unless it was stamped, so a call that began
 * before tracing started is left out whole. Events are recorded when a
 * slice ends, with both its ends: slices recorded by one thread nest by
 * construction. */
#ifndef PF_TRACE_RECORD_H
#define PF_TRACE_RECORD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/msg.h"
#include "trace/clock.h"
#include "trace/flags.h"

struct pf_process;
struct pf_thread;

void trace_stamp_entered(struct call_msg *m);
void trace_record_returned(struct pf_thread *t, struct call_msg *m, int err, uint64_t ret);
void trace_record_served(struct pf_thread *t, struct call_msg *m, uint64_t t0, int err,
			 const char *crash);
void trace_record_refused(struct pf_thread *t, struct call_msg *m, int err);
void trace_record_unwound(struct pf_thread *t, unsigned depth);
void trace_record_completed(struct call_msg *m, int err);
void trace_record_collected(struct pf_thread *t, struct call_msg *m, uint64_t t0, int err);
void trace_record_died(struct pf_process *p, int why);
void trace_record_restarted(struct pf_process *p, uint64_t t0, int rc);

/* dispatch, in the fault handler: M entered through VIA. */
static inline void trace_call_entered(struct call_msg *m, const char *via)
{
	m->via = via;
	m->t_entered = 0;
	if (trace_on())
		trace_stamp_entered(m);
}

/* call: M is about to be queued on its callee (in the fault handler, or
 * in normal context). */
static inline void trace_call_queued(struct call_msg *m)
{
	if (trace_on() && m->t_entered)
		m->t_queued = trace_clock();
}

/* call_await is done with M (ERR as its caller sees it; RET: what the
 * call returns at once, a ticket for an asynchronous call). */
static inline void trace_call_returned(struct pf_thread *t, struct call_msg *m, int err,
				       uint64_t ret)
{
	if (m->t_entered)
		trace_record_returned(t, m, err, ret);
}

/* sched: T ran M from T0 (trace_now() before it started) with result ERR;
 * CRASH says what happened when the export crashed, else NULL. Before M
 * is completed: after that it may be gone. */
static inline void trace_call_served(struct pf_thread *t, struct call_msg *m, uint64_t t0,
				     int err, const char *crash)
{
	if (t0 && m->t_entered)
		trace_record_served(t, m, t0, err, crash);
}

/* sched: T took M and fails it with ERR without running it. */
static inline void trace_call_refused(struct pf_thread *t, struct call_msg *m, int err)
{
	if (trace_on() && m->t_entered)
		trace_record_refused(t, m, err);
}

/* sched: a crash is about to unwind T's calls from DEPTH up. */
static inline void trace_calls_unwound(struct pf_thread *t, unsigned depth)
{
	if (trace_on())
		trace_record_unwound(t, depth);
}

/* sched: M is complete with ERR (every kind; only asynchronous and
 * one-way calls learn their outcome here). */
static inline void trace_call_completed(struct call_msg *m, int err)
{
	if (m->t_entered && m->kind != MSG_SYNC)
		trace_record_completed(m, err);
}

/* pf_wait: T collected M's ticket, having started at T0. */
static inline void trace_ticket_collected(struct pf_thread *t, struct call_msg *m, uint64_t t0,
					  int err)
{
	if (t0)
		trace_record_collected(t, m, t0, err);
}

/* P's death watchers are being told WHY (PF_DIED_*). */
static inline void trace_process_died(struct pf_process *p, int why)
{
	if (trace_on())
		trace_record_died(p, why);
}

/* P's init ran again from T0 and returned RC. */
static inline void trace_process_restarted(struct pf_process *p, uint64_t t0, int rc)
{
	if (t0)
		trace_record_restarted(p, t0, rc);
}

#endif
