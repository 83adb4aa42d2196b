/* The int $0x80 entry: the 32-bit system-call gate with a pfipc call
 * number, caught by Syscall User Dispatch (sud.h). */
#ifndef PF_INT80_H
#define PF_INT80_H

#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>

/* A SIGSYS: true if Syscall User Dispatch raised it for an int $0x80 (a
 * call, a refusal, or a 32-bit system call forwarded). */
bool int80_entry(int sig, const siginfo_t *si, ucontext_t *uc);

#endif
