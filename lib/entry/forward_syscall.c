/* Forwarding a dispatched 64-bit `syscall` (the x86-64 build only: see
 * forward.c for what is handled apart, and why). */
#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include "arch.h"
#include "entry/forward.h"
#include "entry/sud.h"

void forward_syscall(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = (int)g[REG_RAX];   /* the kernel reads eax, as an int */
	long a = g[REG_RDI], b = g[REG_RSI], c = g[REG_RDX];
	long d = g[REG_R10], e = g[REG_R8], f = g[REG_R9];
	switch (nr) {
	case SYS_rt_sigreturn:
		g[REG_RIP] = (greg_t)sud_restorer();
		return;
	case SYS_rt_sigprocmask:
		g[REG_RAX] = forward_sigprocmask_of_caller(uc, a, b, c, d);
		return;
	case SYS_vfork:
		nr = SYS_fork;
		break;
	case SYS_clone3:
		g[REG_RAX] = -ENOSYS;
		return;
	case SYS_clone:
		if ((a & CLONE_VM) || b) {
			forward_say_cannot("a clone system call with a new stack or shared memory");
			g[REG_RAX] = -ENOSYS;
			return;
		}
		break;
	}
	g[REG_RAX] = forward_libc_syscall(nr, a, b, c, d, e, f);
}

