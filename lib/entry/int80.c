/* The int $0x80 entry. In a 64-bit process int $0x80 runs a real 32-bit
 * system call; Syscall User Dispatch catches it as SIGSYS with si_arch
 * AUDIT_ARCH_I386 and RIP past the int. The kernel keeps only eax of the
 * number register, so al travels in r11 (pages.h). The arguments are the
 * System V ones (rdi, rsi, rdx, rcx, r8, r9: the callee is 64-bit code),
 * not the i386 system-call registers; an ordinary 32-bit system call
 * (numbers below pfipc's) is forwarded with its own. */
#include <linux/audit.h>
#include "base/callnr.h"
#include "entry/enter.h"
#include "entry/forward.h"
#include "entry/int80.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

bool int80_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	if (si->si_code != SYS_USER_DISPATCH || si->si_arch != AUDIT_ARCH_I386)
		return false;
	greg_t *g = uc->uc_mcontext.gregs;
	uint32_t nr = (uint32_t)g[REG_RAX];
	unsigned process, slot;
	if (!callnr_split(nr, &process, &slot)) {
		forward_int80(uc);
		return true;
	}
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	g[REG_RAX] = g[REG_R11] & 0xff;
	enter_numbered(&(struct numbered){ .nr = nr, .site = rip - 2, .resume = rip,
					   .sig = sig, .how = "int $0x80",
					   .via = "int80" }, uc);
	return true;
}
