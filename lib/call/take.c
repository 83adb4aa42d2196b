#include <errno.h>
#include <stdatomic.h>
#include "base/msg.h"
#include "call/take.h"
#include "pf_limits.h"
#include "proc/thread.h"
#include "trace/record.h"

struct call_msg *call_take(struct pf_thread *t, struct pf_import *imp, const char *via)
{
	/* The last message is kept to report "too deep" through. */
	struct call_msg *m = t->calls.slot[t->calls.depth];
	m->error = t->calls.depth == LIMIT_DEPTH - 1 ? -ENOSPC : 0;
	t->calls.depth++;
	atomic_store_explicit(&m->state, MSG_FILLED, memory_order_relaxed);
	m->kind = MSG_SYNC;
	m->import = imp;
	atomic_store_explicit(&m->caller, t, memory_order_relaxed);
	atomic_store_explicit(&m->server, NULL, memory_order_relaxed);
	atomic_store_explicit(&m->callee, NULL, memory_order_relaxed);
	m->from = t->self;
	m->detail[0] = '\0';
	m->in_turn = false;
	m->pushed = false;
	trace_call_entered(m, via);
	return m;
}
