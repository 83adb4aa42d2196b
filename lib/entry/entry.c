#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include "base/diag.h"
#include "entry/entry.h"
#include "entry/fault.h"
#include "entry/int80.h"
#include "entry/port.h"
#include "entry/report.h"
#include "entry/signals.h"
#include "entry/stray.h"
#include "entry/syscall.h"
#include "entry/thread.h"
#include "entry/trap.h"
#include "entry/ud2.h"
#include "entry/vector.h"
#include "entry/window.h"
#include "proc/thread.h"

static bool page_fault(int sig, const siginfo_t *si, ucontext_t *uc)
{
	(void)sig;
	return fault_entry((uintptr_t)si->si_addr, uc);
}

/* Every way in, asked in this order for the signal that came (0: any).
 * A new entry is a file of its own and a line here. */
static const struct entry {
	int sig;
	bool (*claim)(int sig, const siginfo_t *si, ucontext_t *uc);
} entries[] = {
	{ SIGSEGV, window_entry },    /* load or store to a window */
	{ SIGSEGV, page_fault },      /* gate, slot */
	{ SIGSEGV, vector_entry },    /* int $N */
	{ SIGSEGV, port_entry },      /* in, out, ins, outs on mapped ports */
	{ SIGTRAP, trap_entry },      /* int3 stub */
	{ SIGILL,  ud2_entry },       /* ud2 stub */
	{ SIGILL,  vector_entry },    /* int $N under valgrind */
	{ SIGSYS,  syscall_entry },   /* syscall, and other dispatched calls */
	{ SIGSYS,  int80_entry },     /* int $0x80 */
	{ 0,       stray_entry },     /* anything else in an entry page */
};

static bool claimed(int sig, const siginfo_t *si, ucontext_t *uc)
{
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
		if ((entries[i].sig == sig || !entries[i].sig) && entries[i].claim(sig, si, uc))
			return true;
	return false;
}

/* A trap or a dispatched system call is the program's on purpose: one it
 * has a handler for goes to it even inside an export; without one it would
 * kill the program, so inside an export it is that process's crash. A
 * fault is always the process's crash. */
static bool crash_of_process(int sig)
{
	if (sig != SIGTRAP && sig != SIGSYS)
		return true;
	const struct sigaction *theirs = signals_program_handler(sig);
	return !(theirs->sa_flags & SA_SIGINFO) &&
	       (theirs->sa_handler == SIG_DFL || theirs->sa_handler == SIG_IGN);
}

/* "signal 11 at 0x10 (rip 0x401234)" */
static void describe(char *buf, size_t cap, int sig, uintptr_t addr, uintptr_t rip)
{
	struct diag d;
	diag_start(&d, buf, cap);
	diag_str(&d, "signal ");
	diag_dec(&d, sig);
	diag_str(&d, " at ");
	diag_hex(&d, addr);
	diag_str(&d, " (rip ");
	diag_hex(&d, rip);
	diag_str(&d, ")");
}

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t addr = (uintptr_t)si->si_addr;
	int saved_errno = errno;
	struct pf_thread *t = pf_current;
	ucontext_t *outer = entry_context_swap(uc);
	if (claimed(sig, si, uc)) {
		/* a call, or a refusal (which may have contained a crash) */
	} else if (t && t->serving && si->si_code > 0 && crash_of_process(sig)) {
		/* si_code > 0: raised by the kernel for this instruction, not
		 * sent. */
		char what[96];
		describe(what, sizeof what, sig, addr, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
		entry_contain(t, what);
	} else {
		entry_pass_on(sig, si, ucv);
	}
	entry_context_swap(outer);
	errno = saved_errno;
}

int entry_install(void)
{
	const char *q = getenv("PFIPC_QUIET_CRASHES");
	entry_quiet_crashes(q && strcmp(q, "0") != 0 && q[0]);
	int rc = entry_spare_decoder_open();
	return rc ? rc : signals_install(on_signal);
}
