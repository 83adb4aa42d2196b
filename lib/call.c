/* The life of one call after the fault.
 *
 * The handler only captures registers (call_capture). Everything that may
 * block, lock or allocate happens in call_await, which the await trampoline
 * runs in the caller's normal context: binding, copying the stack
 * arguments, queueing on the callee, and waiting — while waiting, a thread
 * that belongs to a process serves calls queued on its own process, so a
 * callee can call back into its caller without a second thread (as Binder
 * does). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buffers.h"
#include "call.h"
#include "grants.h"
#include "import.h"
#include "process.h"
#include "registry.h"
#include "thread.h"
#include "tickets.h"
#include "wait.h"

struct call_msg *call_msg_alloc(void)
{
	size_t size = (sizeof(struct call_msg) + 63) & ~(size_t)63;
	struct call_msg *m = aligned_alloc(64, size);
	if (m)
		m->on_heap = true;
	return m;
}

struct call_msg *call_capture(struct pf_thread *t, struct pf_import *imp,
			      const ucontext_t *uc, uintptr_t stack_args)
{
	/* The last message is kept to report "too deep" through. */
	struct call_msg *m = t->slot[t->depth];
	m->error = t->depth == THREAD_MAX_DEPTH - 1 ? -ENOSPC : 0;
	t->depth++;
	atomic_store_explicit(&m->state, MSG_FILLED, memory_order_relaxed);
	m->kind = MSG_SYNC;
	m->import = imp;
	atomic_store_explicit(&m->caller, t, memory_order_relaxed);
	atomic_store_explicit(&m->server, NULL, memory_order_relaxed);
	m->from = t->self;
	m->detail[0] = '\0';
	m->in_turn = false;
	m->stack_args = (const uint8_t *)stack_args;

	const greg_t *g = uc->uc_mcontext.gregs;
	m->regs.gpr[0] = (uint64_t)g[REG_RDI];
	m->regs.gpr[1] = (uint64_t)g[REG_RSI];
	m->regs.gpr[2] = (uint64_t)g[REG_RDX];
	m->regs.gpr[3] = (uint64_t)g[REG_RCX];
	m->regs.gpr[4] = (uint64_t)g[REG_R8];
	m->regs.gpr[5] = (uint64_t)g[REG_R9];
	m->regs.rax = (uint64_t)g[REG_RAX];
	memcpy(m->regs.xmm, uc->uc_mcontext.fpregs->_xmm, sizeof m->regs.xmm);
	return m;
}

static void set_error(struct pf_thread *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(struct pf_thread *t, int err, const char *fmt, ...)
{
	t->err = err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->errmsg, sizeof t->errmsg, fmt, ap);
	va_end(ap);
}

/* ---- completion ---------------------------------------------------------- */

void call_complete(struct call_msg *m, int err)
{
	m->error = err;
	if (m->kind == MSG_ONEWAY) {
		free(m);
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
		/* The caller timed out and handed the message to us; a thread's
		 * own storage is simply never used again. */
		if (m->on_heap)
			free(m);
		return;
	}
	if (kind == MSG_ASYNC)
		process_notify_all(from);
	else
		thread_notify(caller);
}


/* ---- submitting ---------------------------------------------------------- */

static bool bound(void *ctx)
{
	struct export_entry *e = ctx;
	return atomic_load(&e->owner) != NULL;
}

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
	while (!bound(e) && !deadline_passed(&deadline)) {
		struct timespec nap = { 0, 500000 };
		nanosleep(&nap, NULL);
	}
	return atomic_load_explicit(&e->owner, memory_order_acquire);
}

static int unbound_error(struct pf_thread *t, struct call_msg *m)
{
	struct export_entry *e = m->import->entry;
	struct pf_process *last = atomic_load(&e->last_owner);
	if (last && process_crashed_last(last)) {
		set_error(t, -EOWNERDEAD, "process %s serving \"%s\" crashed", last->name, e->name);
		return -EOWNERDEAD;
	}
	if (m->import->flags & PF_IMPORT_LAZY) {
		set_error(t, -ETIMEDOUT, "\"%s\" was not exported within the bind timeout", e->name);
		return -ETIMEDOUT;
	}
	set_error(t, -ESRCH, "\"%s\" is no longer exported (its process stopped)", e->name);
	return -ESRCH;
}

/* A heap copy of M for a call whose caller does not wait in the trampoline. */
static struct call_msg *detach_copy(struct call_msg *m, enum msg_kind kind)
{
	struct call_msg *c = call_msg_alloc();
	if (!c)
		return NULL;
	memcpy(c, m, offsetof(struct call_msg, regs));
	memcpy(&c->regs, &m->regs, offsetof(struct call_regs, stack) + m->regs.stack_len);
	c->kind = (uint8_t)kind;
	c->on_heap = true;   /* the copy said otherwise */
	return c;
}

/* Everything between the fault and the queue. 0, or an error with
 * t->errmsg explaining it. For an async or one-way call, *OUT_TICKET gets
 * what the caller's call returns. */
static int submit(struct pf_thread *t, struct call_msg *m, uint64_t *ticket)
{
	struct pf_import *imp = m->import;
	struct export_entry *e = imp->entry;
	if (m->error == -ENOSPC) {
		set_error(t, -ENOSPC, "call through \"%s\" nests deeper than %u calls",
			  e->name, THREAD_MAX_DEPTH - 1);
		return -ENOSPC;
	}
	if (imp->owner != m->from) {
		set_error(t, -EPERM, "process %s called through import \"%s\" of process %s",
			  m->from->name, e->name, imp->owner->name);
		return -EPERM;
	}
	struct pf_process *callee = resolve(t, m);
	if (!callee)
		return unbound_error(t, m);
	if (!grants_allowed(e, callee, m->from)) {
		set_error(t, -EPERM, "process %s holds no grant for private export \"%s\" of process %s",
			  m->from->name, e->name, callee->name);
		return -EPERM;
	}
	/* One snapshot: a re-export publishes a new record, never edits it. */
	const struct export_def *def = registry_def(e);
	m->entry = e;
	m->def = def;
	atomic_store_explicit(&m->callee, callee, memory_order_relaxed);
	m->fn = def->fn;
	m->flags = def->flags;
	m->regs.stack_len = def->stack_bytes;
	if (def->stack_bytes)
		memcpy(m->regs.stack, m->stack_args, def->stack_bytes);

	if (imp->flags & (PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY)) {
		bool oneway = imp->flags & PF_IMPORT_ONEWAY;
		struct call_msg *c = detach_copy(m, oneway ? MSG_ONEWAY : MSG_ASYNC);
		if (!c) {
			set_error(t, -ENOMEM, "no memory for an asynchronous call to \"%s\"", e->name);
			return -ENOMEM;
		}
		if (!oneway && tickets_issue(c, ticket) != 0) {
			free(c);
			set_error(t, -ENOSPC, "too many asynchronous calls in flight");
			return -ENOSPC;
		}
		m = c;
	}
	if (m->flags & PF_EXPORT_MIGRATE) {
		atomic_store_explicit(&m->state, MSG_RUNNING, memory_order_relaxed);
		call_serve(t, m);
		return 0;
	}
	/* This thread waits from the moment the call can be taken, not from
	 * when call_wait starts: the callee may call back into a busy export
	 * before then, and the deadlock check must find the whole chain.
	 * call_await puts the outer wait back. */
	if (m->kind == MSG_SYNC)
		atomic_store(&t->waiting_on, m);
	int err = process_enqueue(callee, m);
	if (err) {
		if (m->kind == MSG_ASYNC)
			tickets_forget(m->ticket);
		if (m->kind != MSG_SYNC)
			free(m);
		set_error(t, err, "process %s serving \"%s\" %s", callee->name, e->name,
			  err == -EOWNERDEAD ? "crashed" : "has stopped");
	}
	return err;
}

/* ---- waiting ------------------------------------------------------------- */

static bool reply_or_work(void *ctx)
{
	struct call_msg *m = ctx;
	struct pf_thread *t = atomic_load_explicit(&m->caller, memory_order_relaxed);
	return atomic_load_explicit(&m->state, memory_order_acquire) == MSG_DONE ||
	       atomic_load_explicit(&t->proc->queued, memory_order_relaxed);
}

static int64_t timeout_of(struct pf_thread *t, struct call_msg *m)
{
	return m->import->timeout_ns ? m->import->timeout_ns : t->proc->opts.call_timeout_ns;
}

/* Give up on M: take it back from the queue, or hand it to the callee to
 * free when it finishes. False if it finished first. */
static bool abandon(struct pf_thread *t, struct call_msg *m)
{
	if (process_cancel(m->callee, m))
		return true;
	uint32_t running = MSG_RUNNING;
	struct call_msg *fresh = call_msg_alloc();
	if (!fresh || !atomic_compare_exchange_strong(&m->state, &running, MSG_ABANDONED)) {
		free(fresh);
		return false;
	}
	t->slot[t->depth - 1] = fresh;
	return true;
}

/* Wait for M's reply, serving our own process meanwhile. 0, or -ETIMEDOUT
 * after abandoning it. */
int call_wait(struct pf_thread *t, struct call_msg *m, const struct timespec *deadline)
{
	/* For a synchronous call submit has published M already, and
	 * call_await puts back the wait it interrupted. */
	struct call_msg *outer = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	if (outer == m)
		outer = NULL;
	atomic_store(&t->waiting_on, m);
	int rc = 0;
	while (atomic_load_explicit(&m->state, memory_order_acquire) != MSG_DONE) {
		struct call_msg *work = process_dequeue(t->proc);
		if (work) {
			call_serve(t, work);
			continue;
		}
		if (!wait_until(t, reply_or_work, m, t->proc, deadline) &&
		    (m->kind != MSG_SYNC || abandon(t, m))) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	atomic_store(&t->waiting_on, outer);
	return rc;
}

void call_await(struct call_msg *m, struct call_result *out)
{
	struct pf_thread *t = atomic_load(&m->caller);
	int saved_errno = errno;   /* the caller made a plain C call */
	struct call_msg *outer = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	uint64_t ticket = 0;
	int err = submit(t, m, &ticket);
	memset(out, 0, sizeof *out);
	if (!err && (m->import->flags & (PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY))) {
		out->rax = ticket;
	} else if (!err) {
		int64_t ns = timeout_of(t, m);
		struct timespec deadline = ns ? deadline_after(ns) : (struct timespec){ 0, 0 };
		err = call_wait(t, m, ns ? &deadline : NULL);
		if (err == -ETIMEDOUT)
			set_error(t, err, "call to \"%s\" in process %s timed out after %lld ns",
				  m->entry->name, m->callee->name, (long long)ns);
		else if ((err = m->error) != 0)
			set_error(t, err, "call to \"%s\" in process %s failed: %s%s%s",
				  m->entry->name, m->callee->name, pf_strerror(err),
				  m->detail[0] ? ": " : "", m->detail);
		else
			*out = m->result;
	}
	atomic_store(&t->waiting_on, outer);
	if (!err) {
		t->err = 0;
		t->errmsg[0] = '\0';
	}
	t->depth--;
	errno = saved_errno;
}
