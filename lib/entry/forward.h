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

#endif
