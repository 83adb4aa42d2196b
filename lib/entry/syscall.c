/* The syscall entry. Syscall User Dispatch raises SIGSYS (si_code
 * SYS_USER_DISPATCH, si_arch AUDIT_ARCH_X86_64) with RIP past the
 * `syscall` and rax as it was: the call number in eax and al in bits
 * 32..39. `syscall` itself clobbers rcx (the return address) and r11
 * (rflags), so the fourth argument travels in r10, as Linux's own calls
 * pass it. Stack arguments are read above an 8-byte slot at rsp, where
 * they are when the stub was CALLed. Nothing was pushed: the caller goes on
 * after the `syscall` by a jump, its red zone untouched. */
#include <linux/audit.h>
#include "base/callnr.h"
#include "entry/enter.h"
#include "entry/forward.h"
#include "entry/syscall.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

bool syscall_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	if (si->si_code != SYS_USER_DISPATCH || si->si_arch != AUDIT_ARCH_X86_64)
		return false;
	greg_t *g = uc->uc_mcontext.gregs;
	uint32_t nr = (uint32_t)g[REG_RAX];
	unsigned process, slot;
	if (!callnr_split(nr, &process, &slot)) {
		forward_syscall(uc);
		return true;
	}
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	g[REG_RCX] = g[REG_R10];
	g[REG_RAX] = (greg_t)(((uint64_t)g[REG_RAX] >> 32) & 0xff);
	enter_numbered(&(struct numbered){ .nr = nr, .site = rip - 2, .resume = rip,
					   .sig = sig, .how = "syscall",
					   .via = "syscall" }, uc);
	return true;
}
