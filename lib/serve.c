/* Serving a call on a thread of the callee (or, for a migrating export, on
 * the caller's own thread): the export's serialisation, deadlock detection,
 * buffer copies, the invocation itself, and recovery when it crashes. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "buffers.h"
#include "call.h"
#include "process.h"
#include "registry.h"
#include "thread.h"
#include "wait.h"

/* snprintf at *N, keeping *N inside the buffer when the text is cut. */
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	if (*n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n = *n + (size_t)w < cap ? *n + (size_t)w : cap - 1;
}

/* Would waiting for E's serial lock close a cycle? The holder H waits for a
 * call, served by a thread that waits for a call, ... if that chain reaches
 * the thread that sent M, nobody can ever proceed. Names the cycle in M. */
bool call_would_deadlock(struct call_msg *m, struct pf_thread *h)
{
	char *buf = m->detail;
	size_t cap = sizeof m->detail, n = 0;
	append(buf, cap, &n, "deadlock: %s", m->callee->name);
	for (int hops = 0; h && hops < 32; hops++) {
		if (h == atomic_load(&m->caller)) {
			append(buf, cap, &n, " -> %s (\"%s\" is not reentrant and is busy in this cycle)",
			       m->callee->name, m->entry->name);
			return true;
		}
		/* Other threads' calls, which move on while we look (a new
		 * call reuses W): each hop is read once, atomically. */
		struct call_msg *w = atomic_load(&h->waiting_on);
		struct pf_process *callee = w ? atomic_load(&w->callee) : NULL;
		if (!callee)
			break;
		append(buf, cap, &n, " -> %s", callee->name);
		h = atomic_load(&w->state) == MSG_RUNNING ? atomic_load(&w->server) : NULL;
	}
	buf[0] = '\0';
	return false;
}

static int serial_enter(struct pf_thread *t, struct call_msg *m)
{
	struct export_entry *e = m->entry;
	struct pf_thread *h = atomic_load(&e->holder);
	if (h == t) {
		/* Re-entered on the thread that is running it: it could only
		 * ever wait for itself. */
		if (!call_would_deadlock(m, t))
			snprintf(m->detail, sizeof m->detail,
				 "deadlock: \"%s\" in process %s is not reentrant and was re-entered on its own thread",
				 e->name, m->callee->name);
		return -EDEADLK;
	}
	bool checked = false;
	for (unsigned tries = 0;; tries++) {
		struct pf_thread *none = NULL;
		if (atomic_compare_exchange_weak(&e->holder, &none, t))
			return 0;
		if (!none)
			continue;   /* a spurious CAS failure */
		if (!checked && call_would_deadlock(m, none))
			return -EDEADLK;
		checked = true;
		if (tries < 64) {
			__builtin_ia32_pause();
			continue;
		}
		/* Held for long (the export blocks, or runs long): sleep until
		 * a release. Dekker with serial_leave: count ourselves, then
		 * look at the holder again. */
		uint32_t seen = atomic_load(&e->serial_seq);
		atomic_fetch_add(&e->serial_waiters, 1);
		if (atomic_load(&e->holder))
			futex_wait_word(&e->serial_seq, seen);
		atomic_fetch_sub(&e->serial_waiters, 1);
	}
}

static void serial_leave(struct export_entry *e)
{
	atomic_store(&e->holder, NULL);
	if (atomic_load(&e->serial_waiters)) {
		atomic_fetch_add(&e->serial_seq, 1);
		futex_wake_word(&e->serial_seq);
	}
}

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
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void serve_one(struct pf_thread *t, struct call_msg *m)
{
	struct export_entry *e = m->entry;
	bool serial = !(m->flags & PF_EXPORT_REENTRANT);
	int err = serial ? serial_enter(t, m) : 0;
	if (err) {
		call_complete(m, err);
		return;
	}
	atomic_store_explicit(&m->server, t, memory_order_relaxed);
	struct pf_process *self = t->self, *caller = t->caller_proc;
	t->self = m->callee;
	t->caller_proc = m->from;

	struct serve_frame f = { .m = m, .outer = t->serving };
	bool crashed = false;
	if (setjmp(f.recover) == 0) {
		t->serving = &f;
		err = buffers_copy_in(m->def, &m->regs, &f.copies);
		if (!err) {
			pf_x86_invoke(m->fn, &m->regs, &m->result);
			/* Copy back only to a caller that still waits; FINISHING
			 * stops it from giving up while we write to its memory. */
			uint32_t running = MSG_RUNNING;
			if (f.copies.n == 0)
				;
			else if (atomic_compare_exchange_strong(&m->state, &running, MSG_FINISHING))
				buffers_copy_out(&f.copies);
			else
				buffers_release(&f.copies);   /* caller gave up */
		}
	} else {
		unblock_crash_signals();
		buffers_release(&f.copies);
		crashed = true;
		err = -EOWNERDEAD;
	}
	t->serving = f.outer;
	t->self = self;
	t->caller_proc = caller;
	if (serial)
		serial_leave(e);
	if (crashed) {
		snprintf(m->detail, sizeof m->detail,
			 "process %s crashed (signal %d at %#lx) in \"%s\"", m->callee->name,
			 t->crash_signal, (unsigned long)t->crash_addr, e->name);
		struct pf_process *dead = m->callee;
		call_complete(m, err);
		process_crashed(dead);
		return;
	}
	call_complete(m, err);
}

void call_serve(struct pf_thread *t, struct call_msg *m)
{
	while (m) {
		/* Read before serving: once complete, M may be gone. */
		bool in_turn = m->in_turn;
		struct pf_process *callee = m->callee;
		struct export_entry *e = m->entry;
		serve_one(t, m);
		m = in_turn ? process_pass_turn(callee, e) : NULL;
	}
}
