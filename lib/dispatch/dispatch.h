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
#include "dispatch/resume.h"

struct pf_import;
struct pf_thread;


/* T called IMP from context UC, with its stack arguments at STACK_ARGS,
 * through the entry named VIA (a static string: "gate", "slot", "trap",
 * "ud2", "int", "syscall" or "int80"; traces and statistics are labelled
 * with it). 0, or -EFAULT when the
 * caller's stack has no room left for the call (a stack overflow: the
 * entry treats it as a crash of the caller), in which case nothing was
 * changed. */
int dispatch_call(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		  uintptr_t stack_args, struct resume how, const char *via);

#endif
