/* What the C layers need to know of an x86-64 signal context and call: the
 * register names in <sys/ucontext.h>, how a caller's register image is
 * taken, where the trampolines are. lib/arch.h includes it in the x86-64
 * build; lib/i386/context.h says the same for i386. */
#ifndef PF_X86_64_CONTEXT_H
#define PF_X86_64_CONTEXT_H

#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include "x86_64/regs.h"

/* The instruction pointer and the stack pointer in uc_mcontext.gregs. */
#define REG_PC   REG_RIP
#define REG_SP   REG_RSP
/* Where a trampoline finds the message it is sent with. */
#define REG_MSG  REG_RDI

/* Bytes of a return address and of a stack slot. */
#define ARCH_WORD 8u
/* The ABI's alignment of rsp at a CALL. */
#define ARCH_STACK_ALIGN 16u

/* No x86-64 convention has the callee pop its arguments. */
#define ARCH_CALLEE_POPS 0

/* Memory-mapped windows and ports (the instruction emulator), migrating
 * exports run straight from the handler, and the syscall entry. */
#define ARCH_WINDOWS 1
#define ARCH_IN_PLACE 1
#define ARCH_SYSCALL_ENTRY 1

#define arch_invoke     pf_x86_invoke
#define arch_await      pf_x86_await
#define arch_await_jump pf_x86_await_jump

/* Where a numbered entry (int $N, int $0x80) finds the call number. */
#define REG_NR   REG_RAX

/* What the numbered stubs carry beside the number (entry/pages.h): al, the
 * vector registers a variadic call used, in bits 32..39 of rax for int $N,
 * in r11 for int $0x80 (whose entry keeps only eax). Put it back in rax,
 * where the callee expects it. */
static inline void arch_int_args(greg_t *g)
{
	g[REG_RAX] = (greg_t)(((uint64_t)g[REG_RAX] >> 32) & 0xff);
}

static inline void arch_int80_args(greg_t *g)
{
	g[REG_RAX] = g[REG_R11] & 0xff;
}

/* A 32-bit system call (int $0x80) of a 64-bit process: its registers,
 * and how it is made again for the program. */
#define REG_INT80_NR   REG_RAX
#define REG_INT80_ARG1 REG_RBX
#define REG_INT80_ARG2 REG_RCX
#define REG_INT80_ARG3 REG_RDX
#define REG_INT80_ARG4 REG_RSI
#define REG_INT80_ARG5 REG_RDI
#define REG_INT80_ARG6 REG_RBP
/* int $0x80 is not this process's own system-call gate: it has no 32-bit
 * signal frame to return from. */
#define ARCH_INT80_NATIVE 0

/* The sixth argument goes in ebp, which the compiler may be using as the
 * frame pointer: it is kept in r12 meanwhile (no push: that would write
 * below rsp, where this function's own locals may live). */
static inline long arch_int80_syscall(long nr, long a, long b, long c, long d, long e,
				      long f)
{
	long r;
	__asm__ volatile("mov %%rbp, %%r12\n\t"
			 "mov %[f], %%rbp\n\t"
			 "int $0x80\n\t"
			 "mov %%r12, %%rbp"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), [f] "r"(f)
			 : "r12", "memory", "cc");
	return r;
}

/* Syscall User Dispatch (entry/sud.c): the C library's rt_sigreturn
 * restorer, `mov $15,%rax; syscall`, is its own; a probe's system call. */
#define ARCH_SUD_VDSO 0
#define ARCH_RESTORER_BYTES { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 }
static inline long arch_dispatch_probe(long nr, uintptr_t lo, uintptr_t len)
{
	(void)lo, (void)len;   /* pfipc's code is outside the C library */
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

/* The decoder (entry/decode.c): Capstone's mode, and the general
 * registers an address or a loaded gate can be in, as Capstone and gregs
 * name them. */
#define ARCH_CS_MODE CS_MODE_64
#define ARCH_GREGS(X) \
	X(X86_REG_RAX, REG_RAX) X(X86_REG_RBX, REG_RBX) X(X86_REG_RCX, REG_RCX) \
	X(X86_REG_RDX, REG_RDX) X(X86_REG_RSI, REG_RSI) X(X86_REG_RDI, REG_RDI) \
	X(X86_REG_RBP, REG_RBP) X(X86_REG_RSP, REG_RSP) X(X86_REG_R8, REG_R8)   \
	X(X86_REG_R9, REG_R9)   X(X86_REG_R10, REG_R10) X(X86_REG_R11, REG_R11) \
	X(X86_REG_R12, REG_R12) X(X86_REG_R13, REG_R13) X(X86_REG_R14, REG_R14) \
	X(X86_REG_R15, REG_R15)

/* The numbered stubs' bytes around their call number (entry/pages.h):
 * int: shl $32,%rax; or $nr,%rax (then int $V; ret). int80:
 * movzbl %al,%r11d; or $0x100,%r11d; mov $nr,%eax, then int $0x80;
 * test %r11,%r11; jnz 1f; ret; 1: ud2 (the mark). */
#define ARCH_STUB_INT_HEAD   { 0x48, 0xc1, 0xe0, 0x20, 0x48, 0x0d }
#define ARCH_STUB_INT80_HEAD { 0x44, 0x0f, 0xb6, 0xd8, 0x41, 0x81, 0xcb, 0x00, 0x01, 0x00, \
			       0x00, 0xb8 }
#define ARCH_STUB_INT80_TAIL { 0xcd, 0x80, 0x4d, 0x85, 0xdb, 0x75, 0x01, 0xc3, 0x0f, 0x0b }
#define ARCH_STUB_INT80_MARK 24u

/* The register image of a call made from UC: System V's argument
 * registers, al (vector registers of a variadic call) and xmm0-7. */
static inline void arch_capture(struct call_regs *r, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	r->gpr[0] = (uint64_t)g[REG_RDI];
	r->gpr[1] = (uint64_t)g[REG_RSI];
	r->gpr[2] = (uint64_t)g[REG_RDX];
	r->gpr[3] = (uint64_t)g[REG_RCX];
	r->gpr[4] = (uint64_t)g[REG_R8];
	r->gpr[5] = (uint64_t)g[REG_R9];
	r->rax = (uint64_t)g[REG_RAX];
	memcpy(r->xmm, uc->uc_mcontext.fpregs->_xmm, sizeof r->xmm);
}

#endif
