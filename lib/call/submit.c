#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include "base/msg.h"
#include "call/submit.h"
#include "call/tickets.h"
#include "ident/grants.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/queue.h"
#include "sched/serve.h"
#include "trace/record.h"

/* The process serving the import now; a lazy import waits for one. */
static struct pf_process *resolve(struct pf_thread *t, struct call_msg *m)
{
	struct export_entry *e = m->import->entry;
	struct pf_process *p = atomic_load_explicit(&e->owner, memory_order_acquire);
	if (p || !(m->import->flags & PF_IMPORT_LAZY))
		return p;
	/* Nobody notifies a binding; poll, at a pace that keeps a waiting
	 * client cheap and still binds within a millisecond or so. */
	struct timespec deadline = deadline_after(t->proc->opts.bind_timeout_ns);
	while (!atomic_load(&e->owner) && !deadline_passed(&deadline)) {
		struct timespec nap = { 0, 500000 };
		nanosleep(&nap, NULL);
	}
	return atomic_load_explicit(&e->owner, memory_order_acquire);
}

/* Nobody serves M's name now. Only a process that really stopped makes
 * that -ESRCH: one that crashed, or is restarting, or has just restarted
 * (our look at the owner raced the restart), makes it -EOWNERDEAD. */
static int unbound_error(struct pf_thread *t, struct call_msg *m)
{
	struct export_entry *e = m->import->entry;
	struct pf_process *last = atomic_load(&e->last_owner);
	if (last) {
		int state = atomic_load(&last->state);
		bool stopped = (state == PROC_STOPPING || state == PROC_DEAD) &&
			       !atomic_load(&last->died_crashed);
		if (!stopped)
			return error_set(&t->error, -EOWNERDEAD, "process %s serving \"%s\" crashed%s",
					 last->name, e->name,
					 state == PROC_CRASHED ? "" : " (it is restarting)");
		if (!(m->import->flags & PF_IMPORT_LAZY))
			return error_set(&t->error, -ESRCH,
					 "\"%s\" is no longer exported (process %s stopped)",
					 e->name, last->name);
	}
	return error_set(&t->error, -ETIMEDOUT,
			 "\"%s\" was not exported within the bind timeout", e->name);
}

/* A heap copy of M for a call whose caller does not wait in the trampoline. */
static struct call_msg *detach_copy(struct call_msg *m, enum msg_kind kind)
{
	struct call_msg *c = msg_alloc();
	if (!c)
		return NULL;
	memcpy(c, m, offsetof(struct call_msg, regs));
	memcpy(&c->regs, &m->regs, offsetof(struct call_regs, stack) + m->regs.stack_len);
	c->kind = (uint8_t)kind;
	c->on_heap = true;   /* the copy said otherwise */
	return c;
}

/* M is bound to CALLEE through export E as defined by DEF: what to run,
 * and a copy of the stack arguments (the caller's stack changes once it
 * resumes). DEF is one snapshot: a re-export publishes a new record and
 * never edits this one, so its fields always belong together. */
static void bind_to(struct call_msg *m, struct export_entry *e,
		    const struct export_def *def, struct pf_process *callee)
{
	m->entry = e;
	m->def = def;
	atomic_store_explicit(&m->callee, callee, memory_order_relaxed);
	m->fn = def->fn;
	m->flags = def->flags;
	m->regs.stack_len = def->stack_bytes;
	if (def->stack_bytes)
		memcpy(m->regs.stack, m->stack_args, def->stack_bytes);
}

/* From the moment a synchronous call can reach its callee, its caller is
 * waiting for it: deadlock detection follows the chain of waits through
 * this, so it is set before the call is queued, never after. */
static void begin_waiting(struct pf_thread *t, struct call_msg *m)
{
	m->outer_wait = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	atomic_store_explicit(&t->waiting_on, m, memory_order_release);
}

bool call_submit_fast(struct call_msg *m)
{
	struct pf_import *imp = m->import;
	if (m->error || imp->owner != m->from ||
	    (imp->flags & (PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY)))
		return false;
	struct export_entry *e = imp->entry;
	struct pf_process *callee = atomic_load_explicit(&e->owner, memory_order_acquire);
	if (!callee)
		return false;
	const struct export_def *def = registry_def(e);
	if (def->flags & (PF_EXPORT_PRIVATE | PF_EXPORT_MIGRATE | EXPORT_WINDOW))
		return false;
	bind_to(m, e, def, callee);
	struct pf_thread *t = atomic_load_explicit(&m->caller, memory_order_relaxed);
	begin_waiting(t, m);
	trace_call_queued(m);
	if (queue_push(callee, m) != 0) {
		atomic_store(&t->waiting_on, m->outer_wait);
		return false;   /* stopped or crashed: the slow path says so */
	}
	m->pushed = true;
	return true;
}

/* Bind M: who serves it, with what, and its stack arguments. */
static int bind(struct pf_thread *t, struct call_msg *m)
{
	struct pf_import *imp = m->import;
	struct export_entry *e = imp->entry;
	if (m->error == -ENOSPC)
		return error_set(&t->error, -ENOSPC, "call through \"%s\" nests deeper than %u calls",
				 e->name, LIMIT_DEPTH - 1);
	if (imp->owner != m->from)
		return error_set(&t->error, -EPERM,
				 "process %s called through import \"%s\" of process %s",
				 m->from->name, e->name, imp->owner->name);
	struct pf_process *callee = resolve(t, m);
	if (!callee)
		return unbound_error(t, m);
	const struct export_def *def = registry_def(e);
	if (!(imp->flags & IMPORT_WINDOW) != !(def->flags & EXPORT_WINDOW))
		return error_set(&t->error, -EINVAL, "\"%s\" of process %s is %s", e->name,
				 callee->name, (def->flags & EXPORT_WINDOW)
				 ? "a window: it is mapped (pf_window_map), not called"
				 : "a function, not a window");
	if ((def->flags & PF_EXPORT_PRIVATE) && !grants_allowed(e, callee, m->from))
		return error_set(&t->error, -EPERM,
				 "process %s holds no grant for private export \"%s\" of process %s",
				 m->from->name, e->name, callee->name);
	bind_to(m, e, def, callee);
	return 0;
}

void call_end_waiting(struct pf_thread *t, struct call_msg *m)
{
	atomic_store_explicit(&t->waiting_on, m->outer_wait, memory_order_release);
}

int call_submit(struct pf_thread *t, struct call_msg *m, uint64_t *ret)
{
	int err = bind(t, m);
	if (err)
		return err;
	struct pf_import *imp = m->import;
	struct pf_process *callee = m->callee;
	/* A migrating export runs on its caller's thread, in its caller's
	 * memory: across two OS processes it would run where its own memory
	 * is not, so it is served by message passing there instead. */
	if ((m->flags & PF_EXPORT_MIGRATE) && !space_same(callee, m->from))
		m->flags &= ~PF_EXPORT_MIGRATE;
	if (imp->flags & (PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY)) {
		bool oneway = imp->flags & PF_IMPORT_ONEWAY;
		struct call_msg *c = detach_copy(m, oneway ? MSG_ONEWAY : MSG_ASYNC);
		if (!c)
			return error_set(&t->error, -ENOMEM,
					 "no memory for an asynchronous call to \"%s\"", m->entry->name);
		*ret = 0;
		if (!oneway && tickets_issue(c, ret) != 0) {
			msg_free(c);
			return error_set(&t->error, -ENOSPC, "more than %u asynchronous calls in flight",
					 LIMIT_TICKETS);
		}
		m = c;
	}
	if (m->flags & PF_EXPORT_MIGRATE) {
		atomic_store_explicit(&m->state, MSG_RUNNING, memory_order_relaxed);
		serve_call(t, m);
		return 0;
	}
	trace_call_queued(m);
	if (m->kind == MSG_SYNC)
		begin_waiting(t, m);
	err = queue_push(callee, m);
	if (err) {
		if (m->kind == MSG_SYNC)
			call_end_waiting(t, m);
		if (m->kind == MSG_ASYNC)
			tickets_forget(m->ticket);
		if (m->kind != MSG_SYNC)
			msg_free(m);
		error_set(&t->error, err, "process %s serving \"%s\" %s", callee->name,
			  imp->entry->name, err == -EOWNERDEAD ? "crashed" : "has stopped");
	}
	return err;
}
