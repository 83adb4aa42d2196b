#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include "base/diag.h"
#include "entry/entry.h"
#include "entry/fault.h"
#include "entry/report.h"
#include "entry/signals.h"
#include "entry/thread.h"
#include "proc/thread.h"

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
	if (sig == SIGSEGV && fault_entry(addr, uc)) {
		errno = saved_errno;
		return;
	}
	/* si_code > 0: raised by the kernel for this instruction, not sent. */
	struct pf_thread *t = pf_current;
	if (t && t->serving && si->si_code > 0) {
		char what[96];
		describe(what, sizeof what, sig, addr, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
		entry_contain(t, what);
	}
	entry_pass_on(sig, si, ucv);
	errno = saved_errno;
}

int entry_install(void)
{
	const char *q = getenv("PFIPC_QUIET_CRASHES");
	entry_quiet_crashes(q && strcmp(q, "0") != 0 && q[0]);
	int rc = entry_spare_decoder_open();
	return rc ? rc : signals_install(on_signal);
}
