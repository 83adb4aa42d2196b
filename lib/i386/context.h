/* What the C layers need to know of an i386 signal context and call: the
 * register names in <sys/ucontext.h>, how a caller's register image is
 * taken, where the trampolines are. lib/arch.h includes it in the i386
 * build; lib/x86_64/context.h says the same for x86-64. */
#ifndef PF_I386_CONTEXT_H
#define PF_I386_CONTEXT_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include "i386/regs.h"

/* The instruction pointer and the stack pointer in uc_mcontext.gregs (the
 * kernel restores esp from REG_ESP; REG_UESP is only a copy). */
#define REG_PC   REG_EIP
#define REG_SP   REG_ESP
/* Where a trampoline finds the message it is sent with. */
#define REG_MSG  REG_EAX

/* Bytes of a return address and of a stack slot. */
#define ARCH_WORD 4u
/* 16-byte alignment for the C code the trampolines call: i386 Linux code
 * built by gcc and clang assumes it, as x86-64 does. */
#define ARCH_STACK_ALIGN 16u

/* A callee may pop its own arguments (ret $N): what the caller finds
 * popped is what the callee popped (RESULT_POP). */
#define ARCH_CALLEE_POPS 1

/* Memory-mapped windows and ports need the x86-64 instruction emulator
 * (lib/entry/emulate*.c): refused in this build. */
#define ARCH_WINDOWS 0
/* Migrating exports run from the handler straight into the export
 * (dispatch/in_place.c) on x86-64 only; here they take the await path,
 * which runs them on the caller's thread too. */
#define ARCH_IN_PLACE 0
/* The `syscall` instruction is no system call gate of 32-bit Linux code
 * (Intel CPUs raise #UD for it outside 64-bit mode). */
#define ARCH_SYSCALL_ENTRY 0

#define arch_invoke     pf_i386_invoke
#define arch_await      pf_i386_await
#define arch_await_jump pf_i386_await_jump

/* Where a numbered entry (int $N, int $0x80) finds the call number. */
#define REG_NR   REG_EAX

/* eax carried the call number, so it carries no argument: a callee built
 * with -mregparm is not reached through the numbered stubs with its first
 * argument (entry/pages.h); edx and ecx (fastcall's) arrive intact. The
 * callee sees eax zero. */
static inline void arch_int_args(greg_t *g)
{
	g[REG_EAX] = 0;
}

static inline void arch_int80_args(greg_t *g)
{
	g[REG_EAX] = 0;
}

/* A system call made with int $0x80: its registers, and how it is made
 * again for the program (through the C library, whose system calls are
 * never dispatched: entry/sud.c). */
#define REG_INT80_NR   REG_EAX
#define REG_INT80_ARG1 REG_EBX
#define REG_INT80_ARG2 REG_ECX
#define REG_INT80_ARG3 REG_EDX
#define REG_INT80_ARG4 REG_ESI
#define REG_INT80_ARG5 REG_EDI
#define REG_INT80_ARG6 REG_EBP
/* int $0x80 is this process's own system-call gate. */
#define ARCH_INT80_NATIVE 1

static inline long arch_int80_syscall(long nr, long a, long b, long c, long d, long e,
				      long f)
{
	int saved = errno;
	long r = syscall(nr, a, b, c, d, e, f);
	if (r == -1)
		r = -errno;
	errno = saved;
	return r;
}

/* Syscall User Dispatch (entry/sud.c): signal handlers return through
 * the vDSO's rt_sigreturn, `mov $173,%eax; int $0x80`, where the C
 * library's system calls are made too; a probe's system call. */
#define ARCH_SUD_VDSO 1
#define ARCH_RESTORER_BYTES { 0xb8, 0xad, 0x00, 0x00, 0x00, 0xcd, 0x80 }
/* The probe's int $0x80 must be made from outside the allowed range,
 * which holds pfipc's own code (the shared libraries between the C
 * library and the vDSO): from a page of its own, `int $0x80; ret`. -1
 * when that page cannot be made or lies in the range too. */
static inline long arch_dispatch_probe(long nr, uintptr_t lo, uintptr_t len)
{
	static const uint8_t code[] = { 0xcd, 0x80, 0xc3 };
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || ((uintptr_t)page >= lo && (uintptr_t)page - lo < len))
		return -1;
	memcpy(page, code, sizeof code);
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
		return -1;
	long r;
	__asm__ volatile("call *%2" : "=a"(r) : "a"(nr), "r"(page) : "ecx", "edx", "memory");
	return r;
}

/* The decoder (entry/decode.c): Capstone's mode, and the general
 * registers an address or a loaded gate can be in, as Capstone and gregs
 * name them. */
#define ARCH_CS_MODE CS_MODE_32
#define ARCH_GREGS(X) \
	X(X86_REG_EAX, REG_EAX) X(X86_REG_EBX, REG_EBX) X(X86_REG_ECX, REG_ECX) \
	X(X86_REG_EDX, REG_EDX) X(X86_REG_ESI, REG_ESI) X(X86_REG_EDI, REG_EDI) \
	X(X86_REG_EBP, REG_EBP) X(X86_REG_ESP, REG_ESP)

/* The numbered stubs' bytes around their call number (entry/pages.h):
 * int: mov $nr,%eax (then int $V; ret). int80: mov $nr,%eax, then
 * int $0x80; ud2 (the mark). A dispatched call never comes back into its
 * stub (ARCH_CALLEE_POPS: it returns to the stub's caller), so reaching
 * the ud2 means that the kernel ran the system call itself. */
#define ARCH_STUB_INT_HEAD   { 0xb8 }
#define ARCH_STUB_INT80_HEAD { 0xb8 }
#define ARCH_STUB_INT80_TAIL { 0xcd, 0x80, 0x0f, 0x0b }
#define ARCH_STUB_INT80_MARK 7u

/* The register image of a call made from UC: the three registers a
 * -mregparm or fastcall caller may have passed arguments in. */
static inline void arch_capture(struct call_regs *r, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	r->gpr[0] = (uint32_t)g[REG_EAX];
	r->gpr[1] = (uint32_t)g[REG_EDX];
	r->gpr[2] = (uint32_t)g[REG_ECX];
}

#endif
