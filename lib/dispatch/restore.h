/* The third way back from an entry, beside returning from a call and
 * jumping back from a numbered entry: the faulting instruction is carried
 * out in normal context, where the thread may wait (a window access is one
 * or more messages to the window's owner), and then the thread resumes
 * after it with every register as the instruction left it.
 *
 * The handler copies the thread's whole state from the signal frame (the
 * general registers, and the FPU and vector state as XSAVE laid it out)
 * into a frame below the caller's red zone, with a job for FN, and
 * resumes the thread in pf_x86_restore. There FN(uc, job) runs as plain C
 * and changes UC (the copy: its gregs, and the vector registers through
 * its fpregs) into what the instruction leaves; the trampoline then
 * restores all of it, as sigreturn would have. Nothing but what FN
 * changes differs afterwards: not rflags, not a vector register, not the
 * red zone, not rsp (FN must not change rsp). */
#ifndef PF_DISPATCH_RESTORE_H
#define PF_DISPATCH_RESTORE_H

#include <stddef.h>
#include <ucontext.h>

struct pf_thread;

/* What runs in normal context: UC is the thread's state to change, JOB a
 * copy of what the entry passed. Errors are FN's to report (pf_errno). */
typedef void restore_fn(ucontext_t *uc, void *job);

/* Async-signal-safe. T faulted in context UC: make it run FN on a copy of
 * the LEN bytes at JOB, then resume. 0; -EFAULT when T's stack has no room
 * left for the frame and the work (a stack overflow: nothing was
 * changed); -ENOTSUP when the signal frame holds no FPU state or more than
 * LIMIT_RESTORE_XSTATE bytes of it. */
int dispatch_restore(struct pf_thread *t, ucontext_t *uc, restore_fn *fn,
		     const void *job, size_t len);

#endif
