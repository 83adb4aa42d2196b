/* Syscall User Dispatch: how `syscall` and `int $0x80` reach pfipc.
 *
 * Linux (5.11 and later) can turn the system calls of one thread into
 * SIGSYS: prctl(PR_SET_SYSCALL_USER_DISPATCH) names an address range whose
 * system calls always run, and a one-byte selector that, set to "block",
 * dispatches every other one. pfipc allows the C library's code (its
 * system calls, pfipc's own futexes through it, and the rt_sigreturn of
 * its signal restorer all live there) and keeps each thread's selector on
 * "block". What is dispatched is either a pfipc call number (a call) or an
 * ordinary system call made from outside the C library, which forward.c
 * runs for the program.
 *
 * It is off until the program first asks for a syscall or int $0x80 entry
 * (a dispatching thread pays about a third more for each of its system
 * calls, in the kernel, even for the allowed ones). From then on every
 * thread that joins a process switches it on for itself, and off when it
 * leaves. The kernel clears it in a new thread and in a forked child. */
#ifndef PF_SUD_H
#define PF_SUD_H

#include <stdbool.h>
#include <stdint.h>

/* Switch syscall entry on: every thread that joins a process from now on,
 * and the calling thread if it is in one, dispatches its system calls.
 * Normal context, after pf_init (pfipc's SIGSYS handler must be in place).
 * 0, or -EOPNOTSUPP (a kernel without it, a C library whose restorer or
 * code cannot be found, PFIPC_SYSCALL_ENTRY=0). */
int sud_enable(void);

/* The calling thread joins a process / leaves it (normal context). 0 or a
 * negative errno value. */
int sud_thread_join(void);
void sud_thread_leave(void);

/* Let the calling thread's system calls through for a moment, from the
 * handler, and block them again. */
void sud_allow(void);
void sud_block(void);

/* The C library's signal restorer (mov $15,%rax; syscall): an
 * rt_sigreturn made there is allowed. */
uintptr_t sud_restorer(void);

#endif
