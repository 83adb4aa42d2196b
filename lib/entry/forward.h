/* Running, for the program, an ordinary system call that Syscall User
 * Dispatch caught (made from outside the C library on a thread that
 * dispatches: a raw `syscall` of the program, the dynamic linker's, a
 * sanitizer runtime's). Async-signal-safe. */
#ifndef PF_FORWARD_H
#define PF_FORWARD_H

#include <ucontext.h>

/* A 64-bit `syscall` (number in eax; arguments rdi, rsi, rdx, r10, r8,
 * r9): run it and leave its result in the context's rax. */
void forward_syscall(ucontext_t *uc);

/* A 32-bit `int $0x80` (number in eax; arguments ebx, ecx, edx, esi, edi,
 * ebp): the same. */
void forward_int80(ucontext_t *uc);

/* Shared by the two. The raw result of a native system call made through
 * the C library (-errno, not -1). */
long forward_libc_syscall(long nr, long a, long b, long c, long d, long e, long f);
/* rt_sigprocmask(how, set, oldset, size) on the caller's saved mask in UC. */
long forward_sigprocmask_of_caller(ucontext_t *uc, long how, long set, long oldset, long size);
/* One line on stderr: WHAT cannot be forwarded and fails with ENOSYS. */
void forward_say_cannot(const char *what);

#endif
