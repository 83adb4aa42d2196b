/* The life of one call after the fault.
 *
 * The handler only captures registers (call_capture). Everything that may
 * block, lock or allocate happens in call_await, which the await trampoline
 * runs in the caller's normal context: binding, copying the stack
 * arguments, queueing on the callee, and waiting — while waiting, a thread
 * that belongs to a process serves calls queued on its own process, so a
 * callee can call back into its caller without a second thread. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "buffers.h"
#include "call.h"
#include "import.h"
#include "process.h"
#include "registry.h"
#include "thread.h"
#include "wait.h"

struct call_msg *call_capture(struct pf_thread *t, struct pf_import *imp,
			      const ucontext_t *uc, uintptr_t stack_args)
{
	/* The last message is kept to report "too deep" through. */
	struct call_msg *m = &t->msgs[t->depth];
	m->error = t->depth == THREAD_MAX_DEPTH - 1 ? -ENOSPC : 0;
	t->depth++;
	atomic_store_explicit(&m->state, MSG_FILLED, memory_order_relaxed);
	m->import = imp;
	m->caller = t;
	m->from = t->self;
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

/* Everything between the fault and the queue. 0, or an error with
 * t->errmsg explaining it. */
static int submit(struct pf_thread *t, struct call_msg *m)
{
	struct pf_import *imp = m->import;
	if (m->error == -ENOSPC) {
		set_error(t, -ENOSPC, "call through \"%s\" nests deeper than %u calls",
			  imp->entry->name, THREAD_MAX_DEPTH - 1);
		return -ENOSPC;
	}
	if (imp->owner != m->from) {
		set_error(t, -EPERM, "process \"%s\" called through import \"%s\" of process \"%s\"",
			  m->from->name, imp->entry->name, imp->owner->name);
		return -EPERM;
	}
	struct export_entry *e = imp->entry;
	struct pf_process *callee = resolve(t, m);
	if (!callee) {
		int err = (imp->flags & PF_IMPORT_LAZY) ? -ETIMEDOUT : -ESRCH;
		set_error(t, err, err == -ESRCH ? "\"%s\" is no longer exported (its process stopped)"
						: "\"%s\" was not exported within the bind timeout",
			  e->name);
		return err;
	}
	m->entry = e;
	m->callee = callee;
	m->fn = e->fn;
	m->flags = e->flags;
	m->regs.stack_len = e->stack_bytes;
	if (e->stack_bytes)
		memcpy(m->regs.stack, m->stack_args, e->stack_bytes);
	if (m->flags & PF_EXPORT_MIGRATE) {
		call_serve(t, m);
		return 0;
	}
	if (process_enqueue(callee, m) != 0) {
		set_error(t, -ESRCH, "process \"%s\" serving \"%s\" has stopped",
			  callee->name, e->name);
		return -ESRCH;
	}
	return 0;
}

static bool reply_or_work(void *ctx)
{
	struct call_msg *m = ctx;
	return atomic_load_explicit(&m->state, memory_order_acquire) == MSG_DONE ||
	       atomic_load_explicit(&m->caller->proc->queued, memory_order_relaxed);
}

static void wait_reply(struct pf_thread *t, struct call_msg *m)
{
	while (atomic_load_explicit(&m->state, memory_order_acquire) != MSG_DONE) {
		struct call_msg *work = process_dequeue(t->proc);
		if (work) {
			call_serve(t, work);
			continue;
		}
		wait_until(t, reply_or_work, m, t->proc, NULL);
	}
}

void call_await(struct call_msg *m, struct call_result *out)
{
	struct pf_thread *t = m->caller;
	int saved_errno = errno;   /* the caller made a plain C call */
	int err = submit(t, m);
	if (!err) {
		wait_reply(t, m);
		err = m->error;
		if (err)
			set_error(t, err, "call to \"%s\" in process \"%s\" failed: %s",
				  m->entry->name, m->callee->name, pf_strerror(err));
	}
	if (err) {
		memset(out, 0, sizeof *out);
	} else {
		*out = m->result;
		t->err = 0;
		t->errmsg[0] = '\0';
	}
	t->depth--;
	errno = saved_errno;
}

static void complete(struct call_msg *m, int err)
{
	m->error = err;
	struct pf_thread *caller = m->caller;
	atomic_store_explicit(&m->state, MSG_DONE, memory_order_seq_cst);
	thread_notify(caller);
}

void call_fail(struct call_msg *m, int err)
{
	complete(m, err);
}

void call_serve(struct pf_thread *t, struct call_msg *m)
{
	struct export_entry *e = m->entry;
	bool serial = !(m->flags & PF_EXPORT_REENTRANT);
	if (serial) {
		if (atomic_load(&e->holder) == t) {
			/* Re-entered from a nested call on the thread that is
			 * running it: it could only wait for itself. */
			complete(m, -EDEADLK);
			return;
		}
		pthread_mutex_lock(&e->serial);
		atomic_store(&e->holder, t);
	}
	struct pf_process *self = t->self, *caller = t->caller_proc;
	t->self = m->callee;
	t->caller_proc = m->from;
	struct buffer_copies copies;
	int err = buffers_copy_in(e, &m->regs, &copies);
	if (!err) {
		pf_x86_invoke(m->fn, &m->regs, &m->result);
		buffers_copy_out(e, &copies);
	}
	t->self = self;
	t->caller_proc = caller;
	if (serial) {
		atomic_store(&e->holder, NULL);
		pthread_mutex_unlock(&e->serial);
	}
	complete(m, err);
}
