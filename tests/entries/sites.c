/* Entry sites compiled at the optimisation level under test, by gcc or
 * clang (tests/meson.build).
 *
 * The raw sites are leaf functions that keep live data in the red zone (a
 * volatile array no stack adjustment covers) and values in callee-saved
 * registers (rbx, r12-r15) across the entry instruction, and declare
 * clobbered exactly what pfipc.h says such an entry may change. They
 * return the callee's result, or SITE_CLOBBERED when anything that must
 * survive did not. The variadic sites pass one double in xmm0 and al = 1
 * where each entry carries al. The stub sites are ordinary calls through a
 * stub's address: +1 after the call keeps it from being a tail call; the
 * _tail one must be one. */
#include <stdbool.h>
#include "sites.h"

/* A sanitized build (SITES_SANITIZED, from tests/meson.build) gives the
 * sites a frame of their own (the sanitizer may call into its runtime):
 * they keep nothing in the red zone, and the test says so. */
const bool site_sanitized = SITES_SANITIZED;

/* What an entry may change besides rax, rdi, rsi, rdx and the fourth
 * argument's register (the sites' operands): the rest of the caller-saved
 * set (pfipc.h), with OTHER the one of rcx and r10 the site does not pass
 * an argument in. */
#define CLOBBERS(other) other, "r8", "r9", "r11", "memory", "cc", \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
	"xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", \
	"st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

/* Live data below rsp and in the callee-saved registers, then INSN with
 * the call number in eax and the arguments in rdi, rsi, rdx and ARG4. The
 * callee-saved registers are operands the site reads back, never
 * clobbers: the compiler then needs no register to address anything. */
#define RAW_SITE(insn, arg4, other)                                                \
	volatile long guard[8];                                                    \
	for (int i = 0; i < 8; i++)                                                \
		guard[i] = SITE_GUARD(i);                                          \
	register long rdi __asm__("rdi") = a;                                      \
	register long rsi __asm__("rsi") = b;                                      \
	register long rdx __asm__("rdx") = c;                                      \
	register long r4 __asm__(arg4) = d;                                        \
	register long rbx __asm__("rbx") = SITE_GUARD(10);                         \
	register long r12 __asm__("r12") = SITE_GUARD(12);                         \
	register long r13 __asm__("r13") = SITE_GUARD(13);                         \
	register long r14 __asm__("r14") = SITE_GUARD(14);                         \
	register long r15 __asm__("r15") = SITE_GUARD(15);                         \
	long rax = nr;                                                             \
	__asm__ volatile(insn                                                      \
			 : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r4),   \
			   "+r"(rbx), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)   \
			 :                                                         \
			 : CLOBBERS(other));                                       \
	bool kept = rbx == SITE_GUARD(10) && r12 == SITE_GUARD(12) &&              \
		    r13 == SITE_GUARD(13) && r14 == SITE_GUARD(14) &&              \
		    r15 == SITE_GUARD(15);                                         \
	for (int i = 0; i < 8; i++)                                                \
		kept = kept && guard[i] == SITE_GUARD(i);                          \
	return kept ? rax : SITE_CLOBBERED;

long site_raw_syscall(int nr, long a, long b, long c, long d)
{
	RAW_SITE("syscall", "r10", "rcx")
}

long site_raw_int(int nr, long a, long b, long c, long d)
{
	RAW_SITE("int $0x81", "rcx", "r10")
}

long site_raw_int80(int nr, long a, long b, long c, long d)
{
	RAW_SITE("int $0x80", "rcx", "r10")
}

/* vsum(3, 1L, 0.5, 2L) = 3.5 when the callee is told al = 1. */
#define VARIADIC_SITE(insn, al_setup)                                              \
	register long rdi __asm__("rdi") = 3;                                      \
	register long rsi __asm__("rsi") = 1;                                      \
	register long rdx __asm__("rdx") = 2;                                      \
	register double xmm0 __asm__("xmm0") = 0.5;                                \
	long rax = nr;                                                             \
	__asm__ volatile(al_setup insn                                             \
			 : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+x"(xmm0)  \
			 :                                                         \
			 : "rcx", "r8", "r9", "r10", "r11", "memory", "cc",        \
			   "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");\
	return xmm0;

double site_raw_syscall_variadic(int nr)
{
	VARIADIC_SITE("syscall", "bts $32, %%rax\n\t")
}

double site_raw_int_variadic(int nr)
{
	VARIADIC_SITE("int $0x81", "bts $32, %%rax\n\t")
}

double site_raw_int80_variadic(int nr)
{
	VARIADIC_SITE("int $0x80", "mov $1, %%r11d\n\t")
}

long site_stub_call(entry4_fn *stub, long a, long b, long c, long d)
{
	return stub(a, b, c, d) + 1;
}

long site_stub_tail(entry4_fn *stub, long a, long b, long c, long d)
{
	return stub(a, b, c, d);
}
