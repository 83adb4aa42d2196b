/* The one function every way into the "kernel" calls.
 *
 * An entry (a page fault on a slot or gate today; a trap, an interrupt
 * vector or a system call tomorrow) works out which import the caller
 * called and where its stack arguments are; dispatch captures the register
 * image into the thread's next message and rewrites the context so that
 * the caller resumes in the await trampoline, which submits the call and
 * waits for it in normal context. Async-signal-safe: it only copies
 * registers and writes the caller's stack. */
#ifndef PF_DISPATCH_H
#define PF_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

struct pf_import;
struct pf_thread;

/* How the caller gets back to its own code when the call is done. */
struct resume {
	/* The address the trampoline returns to, to be pushed on the
	 * caller's stack (a CALL whose push the entry emulates), or 0 when
	 * the caller's own CALL already pushed it (it is at [rsp]). */
	uintptr_t push;
	/* An entry that was no CALL (a syscall or int instruction): the
	 * address to go back to, with rsp exactly as it was and the red zone
	 * below it untouched (then PUSH is 0). 0 for the CALL-like entries. */
	uintptr_t jump;
};

/* T called IMP from context UC, with its stack arguments at STACK_ARGS,
 * through the entry named VIA (a static string: "gate", "slot", "trap",
 * "ud2", "int", "syscall" or "int80"; traces and statistics are labelled
 * with it). 0, or -EFAULT when the
 * caller's stack has no room left for the call (a stack overflow: the
 * entry treats it as a crash of the caller), in which case nothing was
 * changed. */
int dispatch_call(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		  uintptr_t stack_args, struct resume how, const char *via);

/* Would the await path, or an export run in place, overflow T's stack
 * from SP? Async-signal-safe. */
bool dispatch_no_room(const struct pf_thread *t, uintptr_t sp);

#endif
