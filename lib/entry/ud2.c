/* The invalid-opcode entry. ud2 raises SIGILL (ILL_ILLOPN; valgrind says
 * ILL_ILLOPC) with RIP at the ud2; the stub was CALLed, so it resumes as a
 * gate call does. */
#include "entry/enter.h"
#include "entry/pages.h"
#include "entry/ud2.h"

bool ud2_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	if (si->si_code <= 0)   /* sent, not raised by an instruction */
		return false;
	struct stub_place pl = pages_classify((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
	if (!pl.inside || pl.kind != STUB_UD2 || pl.offset != 0)
		return false;
	enter_stub(&pl, uc, sig);
	return true;
}
