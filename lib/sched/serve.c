#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include "base/msg.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "sched/abandon.h"
#include "sched/complete.h"
#include "sched/copies.h"
#include "sched/crashed.h"
#include "sched/queue.h"
#include "sched/serve.h"
#include "sched/turns.h"
#include "sched/window_serve.h"
#include "trace/record.h"
#include "arch.h"

/* Back from the fault handler after a crash inside an export: the crash
 * signals are still blocked (we left the handler by longjmp, not
 * sigreturn), so unblock them for the next crash. */
static void unblock_crash_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigaddset(&set, SIGBUS);
	sigaddset(&set, SIGFPE);
	sigaddset(&set, SIGILL);
	sigaddset(&set, SIGTRAP);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* The export has run: copy out-buffers back, but only to a caller that
 * still waits; FINISHING stops it from giving up while we write to its
 * memory. */
static int copy_back(struct call_msg *m, struct buffer_copies *c)
{
	uint32_t running = MSG_RUNNING;
	if (c->n == 0)
		return 0;
	if (atomic_compare_exchange_strong(&m->state, &running, MSG_FINISHING))
		return buffers_copy_out(c);
	buffers_release(c);   /* the caller gave up */
	return 0;
}

/* A crash unwound T to F: put T back as it was when F began. Calls T made
 * since (a stack overflow in the await path leaves some in flight) are
 * given up, so no callee writes into a message T will use again. */
static void recover(struct pf_thread *t, struct serve_frame *f)
{
	unblock_crash_signals();
	buffers_release(&f->copies);
	calls_unwind(t, f->depth);
	atomic_store(&t->waiting_on, f->waiting_on);
}

/* In an isolated process, T's record lists the calls it serves (for the
 * program to answer if this OS process dies: sched/vanish.c): M from
 * after its server says T, until after it is answered. */
static unsigned running_push(struct pf_thread *t, struct call_msg *m)
{
	unsigned slot = t->nrunning;
	if (slot < LIMIT_DEPTH) {
		t->running[slot] = m;
		atomic_signal_fence(memory_order_seq_cst);
		t->nrunning = slot + 1;
	}
	t->claimed = NULL;
	return slot;
}

static void serve_one(struct pf_thread *t, struct call_msg *m)
{
	const struct export_entry *e = m->entry;
	bool serial = !(m->flags & PF_EXPORT_REENTRANT);
	bool listed = space_isolated_self();
	int err = serial ? serial_enter(t, m) : 0;
	if (err) {
		trace_call_refused(t, m, err);
		msg_complete(m, err);
		if (listed)
			t->claimed = NULL;
		return;
	}
	atomic_store_explicit(&m->server, t, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	volatile unsigned slot = listed ? running_push(t, m) : 0;   /* kept over setjmp */
	uint64_t t0 = trace_now();
	struct pf_process *self = t->self, *caller = t->caller_proc;
	t->self = m->callee;
	t->caller_proc = m->from;

	/* Field by field: the frame is large (a jmp_buf, the buffer copies)
	 * and a call must not pay for zeroing it. */
	struct serve_frame f;
	f.m = m;
	f.callee = m->callee;
	f.entry = e;
	f.in_place = false;
	f.outer = t->serving;
	f.depth = t->calls.depth;
	f.waiting_on = atomic_load_explicit(&t->waiting_on, memory_order_relaxed);
	f.copies.n = 0;
	/* A caller in another OS process has its buffers copied from there. */
	f.copies.remote = m->def->nbufs && !space_is_local(m->from) ? atomic_load(&m->from->os_pid) : 0;
	bool crashed = false;
	if (setjmp(f.recover) == 0) {
		t->serving = &f;
		err = m->def->nbufs ? buffers_copy_in(m->def, &m->regs, &f.copies) : 0;
		if (!err && (m->flags & EXPORT_WINDOW)) {
			err = window_serve(m);   /* an access, not a call */
		} else if (!err) {
			arch_invoke(m->fn, &m->regs, &m->result);
			err = copy_back(m, &f.copies);
		}
	} else {
		trace_calls_unwound(t, f.depth);
		recover(t, &f);
		crashed = true;
		err = -EOWNERDEAD;
	}
	t->serving = f.outer;
	t->self = self;
	t->caller_proc = caller;
	trace_call_served(t, m, t0, err, crashed ? t->crash_what : NULL);
	if (serial)
		serial_leave(e);
	if (!crashed) {
		msg_complete(m, err);
		if (listed)
			t->nrunning = slot;
		return;
	}
	snprintf(m->detail, sizeof m->detail, "process %s crashed (%s) in \"%s\"",
		 m->callee->name, t->crash_what, e->name);
	/* The process is crashed (counted, its queue failed, its exports
	 * withdrawn) before its caller hears: a caller that got -EOWNERDEAD
	 * finds pf_process_crashes already counting it. */
	process_crashed(m->callee);
	msg_complete(m, err);
}

void serve_call(struct pf_thread *t, struct call_msg *m)
{
	while (m) {
		/* Read before serving: once complete, M may be gone. */
		bool in_turn = m->in_turn;
		struct pf_process *callee = m->callee;
		const struct export_entry *e = m->entry;
		serve_one(t, m);
		m = in_turn ? queue_pass_turn(callee, e) : NULL;
	}
}
