/* What lands in an entry page without being a call: a jump into the
 * middle of a stub, a touch of a stub never handed out, a syscall stub
 * whose system call the kernel ran instead of dispatching it. */
#ifndef PF_STRAY_H
#define PF_STRAY_H

#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>

/* Any kept signal: true if it happened in an entry page (refused with one
 * line; the process crashes, or the program dies by SIG). */
bool stray_entry(int sig, const siginfo_t *si, ucontext_t *uc);

#endif
