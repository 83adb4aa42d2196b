/* The interrupt-vector entry. `int $N` for a vector whose gate the kernel
 * keeps for itself raises #GP: Linux delivers SIGSEGV with si_code
 * SI_KERNEL, si_addr 0 and RIP at the int (other general-protection faults
 * look the same: the two bytes at RIP tell them apart). The call number is
 * in eax and al rides in bits 32..39 of rax (pages.h); the arguments are
 * where a System V call has them, rcx included. Nothing was pushed: the
 * caller resumes after the int by a jump, its red zone untouched. */
#include "base/arena.h"
#include "base/callnr.h"
#include "entry/enter.h"
#include "entry/pages.h"
#include "entry/vector.h"

bool vector_usable(unsigned vector)
{
	return vector <= 0xff && vector != 3 && vector != 4 && vector != 0x80;
}

/* Raised by an int $N: a #GP from Linux, or SIGILL from valgrind, which
 * does not emulate the gate check. */
static bool raised_by_int(int sig, const siginfo_t *si)
{
	if (sig == SIGSEGV)
		return si->si_code == SI_KERNEL && si->si_addr == NULL;
	return sig == SIGILL && si->si_code > 0;
}

bool vector_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	if (!raised_by_int(sig, si))
		return false;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	if (arena_classify(rip).area != AREA_OUTSIDE)   /* never read the arena */
		return false;
	const volatile uint8_t *insn = (const volatile uint8_t *)rip;
	if (insn[0] != 0xcd || insn[1] != pages_int_vector())
		return false;
	unsigned process, slot;
	uint32_t nr = (uint32_t)g[REG_RAX];
	if (!callnr_split(nr, &process, &slot))
		return false;   /* not one of ours: the program's own use of it */
	g[REG_RAX] = (greg_t)(((uint64_t)g[REG_RAX] >> 32) & 0xff);
	char how[] = "int $0x??";
	static const char hex[] = "0123456789abcdef";
	how[7] = hex[insn[1] >> 4];
	how[8] = hex[insn[1] & 15];
	enter_numbered(&(struct numbered){ .nr = nr, .site = rip, .resume = rip + 2,
					   .sig = sig, .how = how,
					   .via = "int" }, uc);
	return true;
}
