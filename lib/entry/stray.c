#include "base/diag.h"
#include "entry/pages.h"
#include "entry/report.h"
#include "entry/stray.h"
#include "ident/import.h"
#include "proc/process.h"
#include "proc/thread.h"

/* Where in the entry pages SIG happened: the address touched for a
 * SIGSEGV that has one, else the instruction (before RIP, for int3). */
static struct stub_place place_of(int sig, const siginfo_t *si, uintptr_t rip, uintptr_t *where)
{
	struct stub_place pl = { 0 };
	if (sig == SIGSEGV && si->si_addr)
		pl = pages_classify(*where = (uintptr_t)si->si_addr);
	if (!pl.inside && sig == SIGTRAP && (si->si_code == SI_KERNEL || si->si_code == TRAP_BRKPT))
		pl = pages_classify(*where = rip - 1);
	if (!pl.inside)
		pl = pages_classify(*where = rip);
	return pl;
}

/* The syscall or int $0x80 of a stub ran as a real system call: the
 * thread does not dispatch (it is no process's, or joined one before
 * syscall entry was switched on, or is a forked child). */
static bool undispatched(const struct stub_place *pl)
{
	return (pl->kind == STUB_SYSCALL && pl->offset == STUB_SYSCALL_MARK) ||
	       (pl->kind == STUB_INT80 && pl->offset == STUB_INT80_MARK);
}

bool stray_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], where = 0;
	struct stub_place pl = place_of(sig, si, rip, &where);
	if (!pl.inside)
		return false;
	struct pf_thread *t = pf_current;
	struct pf_process *owner = process_by_index(pl.process);
	struct pf_import *imp = import_at(owner, pl.slot);
	char what[96];
	struct diag d;
	diag_start(&d, what, sizeof what);
	if (sig == SIGILL && undispatched(&pl)) {
		diag_str(&d, "made a real system call through the ");
		diag_str(&d, pages_kind_name(pl.kind));
		diag_str(&d, " entry of");
		entry_refuse_as(t, rip, &(struct refusal){
			.what = what, .imp = imp, .owner = owner,
			.allowed = "this thread does not dispatch system calls: it joined its "
				   "process before syscall entry was switched on, or is a forked child",
			.sig = SIGSYS });
		return true;
	}
	diag_str(&d, pl.offset ? "jumped into the middle of the " : "touched the ");
	diag_str(&d, pages_kind_name(pl.kind));
	diag_str(&d, " entry of");
	if (!imp)
		diag_str(&d, " an empty slot");
	entry_refuse_as(t, rip, &(struct refusal){
		.what = what, .imp = imp, .owner = owner, .at = "at", .value = where,
		.allowed = "only a call to the start of a stub is allowed", .sig = sig });
	return true;
}
