#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "base/msg.h"
#include "call/await.h"
#include "call/window.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/thread.h"
#include "trace/record.h"
#include "trace/window_stats.h"

/* Take T's next message for an access through IMP, as dispatch takes one
 * for a call (the last one is kept to report "too deep" through). */
static struct call_msg *take(struct pf_thread *t, struct pf_import *imp, const char *via)
{
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
	m->stack_args = NULL;
	m->regs.stack_len = 0;
	trace_call_entered(m, via);
	return m;
}

static const char *op_name(unsigned op)
{
	return op == WINDOW_READ ? "read" : op == WINDOW_WRITE ? "write" : "atomic update";
}

int call_window(struct pf_thread *t, struct pf_import *imp, const char *via,
		struct window_io *io)
{
	struct call_msg *m = take(t, imp, via);
	m->io = *io;
	struct call_result ignored;
	call_await(m, &ignored);
	int err = t->error.err;
	/* M is still T's own unless the access was given up (a timeout). */
	if (!err && io->op != WINDOW_WRITE)
		memcpy(io->value, m->io.value, io->width);
	window_stats_access(imp->entry, io->op, io->width, imp->flags & PF_IMPORT_ONEWAY, err);
	if (err) {
		char why[LIMIT_ERROR_MESSAGE];
		strcpy(why, t->error.text);
		bool port = via[0] == 'p';
		error_set(&t->error, err, "%s of %u bytes at %s %#llx of %s \"%s\": %s", op_name(io->op),
			  io->width, port ? "port offset" : "offset", (unsigned long long)io->offset,
			  port ? "port range" : "window", imp->entry->name, why);
	}
	return err;
}
