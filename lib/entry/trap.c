/* The trap entry. The kernel reports an int3 as SIGTRAP with si_code
 * SI_KERNEL and RIP past the int3; the stub was CALLed, so the return
 * address is at [rsp] and the call resumes as a gate call does. A
 * debugger's breakpoints never reach here: the debugger sees the SIGTRAP
 * first (ptrace) and keeps its own. */
#include "entry/enter.h"
#include "entry/pages.h"
#include "entry/trap.h"

bool trap_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	if (si->si_code != SI_KERNEL && si->si_code != TRAP_BRKPT)   /* Linux; valgrind */
		return false;
	struct stub_place pl = pages_classify((uintptr_t)uc->uc_mcontext.gregs[REG_RIP] - 1);
	if (!pl.inside || pl.kind != STUB_TRAP || pl.offset != 0)
		return false;
	enter_stub(&pl, uc, sig);
	return true;
}
