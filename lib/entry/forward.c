/* Forwarding dispatched system calls.
 *
 * Most are simply made again from the handler, where they are allowed:
 * 64-bit ones through the C library's syscall(), 32-bit ones with the
 * selector set to "allow" around an int $0x80. A few cannot be made from a
 * signal handler as they were meant:
 *
 *   rt_sigreturn   unwinds the signal frame at the caller's rsp, not the
 *                  handler's: the caller is sent to the C library's
 *                  restorer instead, which makes it where it is allowed;
 *   rt_sigprocmask would change the handler's mask, which sigreturn then
 *                  replaces with the caller's: the caller's saved mask is
 *                  changed instead, never blocking SIGSYS (a SIGSYS that
 *                  finds itself blocked kills the program, and code that
 *                  makes raw system calls, such as a sanitizer's, blocks
 *                  every signal around some);
 *   vfork          would return in the child inside the handler, sharing
 *                  the parent's memory while the parent's signal frame is
 *                  still live on the alternate stack (a signal the child
 *                  took there would overwrite it): it is run as fork, the
 *                  same for a child that only execs or exits;
 *   clone, clone3  a child on a new stack, or sharing memory, would start
 *                  inside the handler on that stack: clone3 fails with
 *                  ENOSYS (callers fall back to clone), such a clone fails
 *                  with ENOSYS and one line on stderr; a fork-like clone is
 *                  made.
 *
 * The handler runs with the caller's signal mask (SIGSYS is not deferred:
 * entry/signals.c), so what a forwarded call sees of the mask, an execve's
 * new program included, is the caller's. A forwarded call that a signal
 * interrupts returns EINTR even where the program's SA_RESTART would have
 * restarted it. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "base/diag.h"
#include "entry/forward.h"
#include "entry/sud.h"
#include "proc/process.h"
#include "proc/thread.h"

/* i386 numbers of the calls handled apart. */
enum {
	I386_FORK = 2,
	I386_SIGRETURN = 119,
	I386_CLONE = 120,
	I386_RT_SIGRETURN = 173,
	I386_RT_SIGPROCMASK = 175,
	I386_VFORK = 190,
	I386_CLONE3 = 435,
};

/* The raw result of a 64-bit system call made through the C library
 * (which returns -1 and sets errno for the kernel's -4095..-1). */
static long libc_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	int saved = errno;
	long r = syscall(nr, a, b, c, d, e, f);
	if (r == -1)
		r = -errno;
	errno = saved;
	return r;
}

/* The sixth argument goes in ebp, which the compiler may be using as the
 * frame pointer: it is kept in r12 meanwhile (no push: that would write
 * below rsp, where this function's own locals may live). */
static long int80(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;
	sud_allow();
	__asm__ volatile("mov %%rbp, %%r12\n\t"
			 "mov %[f], %%rbp\n\t"
			 "int $0x80\n\t"
			 "mov %%r12, %%rbp"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), [f] "r"(f)
			 : "r12", "memory", "cc");
	sud_block();
	return r;
}

static void say_cannot(const char *what)
{
	struct pf_thread *t = pf_current;
	char buf[256];
	struct diag d;
	diag_start(&d, buf, sizeof buf);
	diag_str(&d, "pfipc: process ");
	diag_quoted(&d, t ? t->self->name : "?");
	diag_str(&d, ": ");
	diag_str(&d, what);
	diag_str(&d, " from outside the C library cannot be run from the handler that "
		     "Syscall User Dispatch calls: it fails with ENOSYS");
	diag_write_stderr(&d);
}

/* rt_sigprocmask(how, set, oldset, size) on the caller's saved mask. The
 * kernel checks the pointers: a call that blocks nothing more than the
 * handler already does (it blocks in the handler, which sigreturn undoes)
 * reads SET, and one that only asks writes OLDSET. */
static long sigprocmask_of_caller(ucontext_t *uc, long how, long set, long oldset, long size)
{
	if (size != 8)
		return -EINVAL;
	uint64_t mask, old;
	memcpy(&old, &uc->uc_sigmask, sizeof old);
	mask = old;
	if (set) {
		long r = libc_syscall(SYS_rt_sigprocmask, SIG_BLOCK, set, 0, 8, 0, 0);
		if (r)
			return r;
		uint64_t want;
		memcpy(&want, (const void *)set, sizeof want);
		switch (how) {
		case SIG_BLOCK:   mask |= want; break;
		case SIG_UNBLOCK: mask &= ~want; break;
		case SIG_SETMASK: mask = want; break;
		default:          return -EINVAL;
		}
		/* As the kernel keeps SIGKILL and SIGSTOP, pfipc keeps SIGSYS:
		 * blocked, the next dispatched call would kill the program. */
		mask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | (1ull << (SIGSYS - 1)));
		memcpy(&uc->uc_sigmask, &mask, sizeof mask);
	}
	if (oldset) {
		long r = libc_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, oldset, 8, 0, 0);
		if (r)
			return r;
		memcpy((void *)oldset, &old, sizeof old);
	}
	return 0;
}

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
		g[REG_RAX] = sigprocmask_of_caller(uc, a, b, c, d);
		return;
	case SYS_vfork:
		nr = SYS_fork;
		break;
	case SYS_clone3:
		g[REG_RAX] = -ENOSYS;
		return;
	case SYS_clone:
		if ((a & CLONE_VM) || b) {
			say_cannot("a clone system call with a new stack or shared memory");
			g[REG_RAX] = -ENOSYS;
			return;
		}
		break;
	}
	g[REG_RAX] = libc_syscall(nr, a, b, c, d, e, f);
}

void forward_int80(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = (uint32_t)g[REG_RAX];
	long a = (uint32_t)g[REG_RBX], b = (uint32_t)g[REG_RCX], c = (uint32_t)g[REG_RDX];
	long d = (uint32_t)g[REG_RSI], e = (uint32_t)g[REG_RDI], f = (uint32_t)g[REG_RBP];
	switch (nr) {
	case I386_SIGRETURN:
	case I386_RT_SIGRETURN:   /* no 32-bit signal frame exists here */
	case I386_CLONE3:
		g[REG_RAX] = -ENOSYS;
		return;
	case I386_RT_SIGPROCMASK:
		g[REG_RAX] = sigprocmask_of_caller(uc, a, b, c, d);
		return;
	case I386_VFORK:
		nr = I386_FORK;
		break;
	case I386_CLONE:
		if ((a & CLONE_VM) || b) {
			say_cannot("a 32-bit clone system call with a new stack or shared memory");
			g[REG_RAX] = -ENOSYS;
			return;
		}
		break;
	}
	g[REG_RAX] = int80(nr, a, b, c, d, e, f);
}
