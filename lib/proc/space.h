/* Address spaces: which OS process runs a simulated process, and copies
 * from one OS process's memory to another's.
 *
 * A process made with PF_ISOLATE_SPACE runs in an OS process of its own;
 * every other process runs in the OS process that made it (the program).
 * Memory behind a plain pointer does not cross from one to the other:
 * only what a call carries (the register image, the declared stack bytes,
 * buffer parameters) does, and what a server copies with the checked
 * copies (process_vm_readv / process_vm_writev, which also work inside
 * one OS process and fail with EFAULT on a bad range instead of
 * faulting). */
#ifndef PF_SPACE_H
#define PF_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pf_process;

/* The calling OS process's pid (cached; space_forked refreshes it). */
pid_t space_self_pid(void);
/* In a forked child, before anything else: forget the parent's pid. */
void space_forked(void);

/* This OS process runs the isolated process P (from its first moment);
 * space_isolated_self() is true from then on. */
void space_become_isolated(struct pf_process *p);

/* Is this OS process an isolated process's? Read on the call path (and in
 * the fault handler): a plain load. */
extern bool space_isolated;
static inline bool space_isolated_self(void)
{
	return space_isolated;
}

/* In an isolated process's OS process: end it now, saying WHAT happened
 * ("signal 11 at 0x10 (rip ...)") for the program to tell its callers.
 * Async-signal-safe; does not return. */
__attribute__((noreturn)) void space_die(const char *what);

/* Does P run in the calling OS process? Handler-safe. */
bool space_is_local(const struct pf_process *p);
/* Do A and B run in one OS process? */
bool space_same(const struct pf_process *a, const struct pf_process *b);

/* Copy N bytes from SRC in PID's memory to DST here, or from SRC here to
 * DST in PID's memory. 0; -EFAULT when a byte of the remote range cannot
 * be read or written (nothing, or part, was copied); -ESRCH when PID is
 * gone; -EPERM when the system forbids it. */
int space_copy_from(pid_t pid, void *dst, const void *src, size_t n);
int space_copy_to(pid_t pid, void *dst, const void *src, size_t n);

#endif
