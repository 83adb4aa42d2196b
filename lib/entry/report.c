#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sigsegv.h>
#include <stdatomic.h>
#include "base/arena.h"
#include "base/diag.h"
#include "dispatch/in_place.h"
#include "entry/decode.h"
#include "entry/report.h"
#include "entry/signals.h"
#include "entry/thread.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "sched/serve.h"

static atomic_bool quiet;

void entry_quiet_crashes(bool on)
{
	atomic_store(&quiet, on);
}

/* Give SIG its default action and kill the program by it, as the kernel
 * would have. A fault raised by an instruction (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL) comes back by itself when the handler returns and the
 * instruction runs again (AGAIN); a trap (SIGTRAP: RIP is past the int3),
 * a dispatched system call (SIGSYS) and a signal that was sent do not, so
 * they are raised here. */
static void die_by(int sig, bool again)
{
	signals_die_by_default(sig);
	if (again)
		return;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

void entry_pass_on(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *theirs = signals_program_handler(sig);
	if (theirs->sa_flags & SA_SIGINFO) {
		theirs->sa_sigaction(sig, si, uc);
		return;
	}
	if (theirs->sa_handler == SIG_IGN && si->si_code <= 0)
		return;   /* a sent signal the program ignores */
	if (theirs->sa_handler == SIG_DFL || theirs->sa_handler == SIG_IGN) {
		die_by(sig, si->si_code > 0 && sig != SIGTRAP && sig != SIGSYS);
		return;
	}
	theirs->sa_handler(sig);
}

/* ---- crash containment ---------------------------------------------------
 *
 * A fault inside an export kills only the simulated process that was
 * running: the thread leaves the handler (libsigsegv's sigsegv_leave_handler,
 * then longjmp) back to the serving frame for that export, which fails the
 * call with -EOWNERDEAD and marks the process crashed. What the crashed code
 * held — locks, half-written data — stays as it was. */

static void recover(void *thread, void *unused1, void *unused2)
{
	(void)unused1;
	(void)unused2;
	struct pf_thread *t = thread;
	longjmp(t->serving->recover, 1);
}

void entry_contain(struct pf_thread *t, const char *what)
{
	struct diag d;
	diag_start(&d, t->crash_what, sizeof t->crash_what);
	diag_str(&d, what);
	if (!atomic_load(&quiet)) {
		char buf[320];
		diag_start(&d, buf, sizeof buf);
		diag_str(&d, "pfipc: process ");
		diag_quoted(&d, t->serving->callee->name);
		diag_str(&d, " crashed in ");
		diag_quoted(&d, t->serving->entry->name);
		diag_str(&d, ": ");
		diag_str(&d, what);
		diag_str(&d, "; its callers get EOWNERDEAD");
		diag_write_stderr(&d);
	}
	ucontext_t *uc = entry_context();
	if (t->serving->in_place && uc) {
		/* Run in place: the context itself goes back to the caller. */
		in_place_contain(t, uc);
		return;
	}
	sigsegv_leave_handler(recover, t, NULL, NULL);
	__builtin_unreachable();
}

static void refuse(struct pf_thread *t, uintptr_t rip, const struct refusal *r, bool again)
{
	char text[160] = "execution inside the arena";
	if (arena_classify(rip).area == AREA_OUTSIDE)   /* never read the arena */
		decode_text(entry_decoder(t), rip, text, sizeof text);

	char buf[640];
	struct diag d;
	diag_start(&d, buf, sizeof buf);
	if (t) {
		diag_str(&d, "pfipc: process ");
		diag_quoted(&d, t->self->name);
		diag_str(&d, ": ");
	} else {
		diag_str(&d, "pfipc: a thread that belongs to no pfipc process ");
	}
	diag_str(&d, r->what);
	if (r->imp) {
		diag_str(&d, " import ");
		diag_quoted(&d, r->imp->entry->name);
	}
	if (r->owner) {
		diag_str(&d, " of process ");
		diag_quoted(&d, r->owner->name);
	}
	if (r->at) {
		diag_str(&d, " ");
		diag_str(&d, r->at);
		diag_str(&d, " ");
		diag_hex(&d, r->value);
	}
	diag_str(&d, ": `");
	diag_str(&d, text);
	diag_str(&d, "` at ");
	diag_hex(&d, rip);
	if (t) {
		diag_str(&d, " (");
		diag_str(&d, r->allowed);
		diag_str(&d, ")");
	} else {
		diag_str(&d, " (a thread must be in a process to call through imports: "
			     "call pf_process_join_self or pf_thread_attach first)");
	}
	diag_write_stderr(&d);
	if (t && t->serving) {   /* a simulated process misbehaved: only it dies */
		char what_buf[64];
		diag_start(&d, what_buf, sizeof what_buf);
		diag_str(&d, "refused ");
		if (r->at) {
			diag_str(&d, "access ");
			diag_str(&d, r->at);
			diag_str(&d, " ");
			diag_hex(&d, r->value);
		} else {
			diag_str(&d, "entry at ");
			diag_hex(&d, rip);
		}
		entry_contain(t, what_buf);
		return;
	}
	die_by(r->sig, again);
}

void entry_refuse_as(struct pf_thread *t, uintptr_t rip, const struct refusal *r)
{
	refuse(t, rip, r, false);
}

void entry_refuse(struct pf_thread *t, uintptr_t rip, uintptr_t addr,
		  const struct pf_process *owner, const struct pf_import *imp,
		  const char *what)
{
	refuse(t, rip, &(struct refusal){
		.what = what, .imp = imp, .owner = owner, .at = "at", .value = addr,
		.allowed = "only a call through a slot or to a gate is allowed",
		.sig = SIGSEGV }, true);
}
