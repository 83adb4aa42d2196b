/* The syscall entry: `syscall` with a pfipc call number, caught by
 * Syscall User Dispatch (sud.h). */
#ifndef PF_SYSCALL_ENTRY_H
#define PF_SYSCALL_ENTRY_H

#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>

/* A SIGSYS: true if Syscall User Dispatch raised it for a 64-bit
 * `syscall` (a call, a refusal, or an ordinary system call forwarded). */
bool syscall_entry(int sig, const siginfo_t *si, ucontext_t *uc);

#endif
