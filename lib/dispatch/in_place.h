/* Migrating calls run in place: straight from the fault handler into the
 * export, on the caller's own thread and stack, with no trip through the
 * await trampoline and the call layer.
 *
 * A migrating export (PF_EXPORT_MIGRATE) runs on its caller's thread
 * anyway; what the await path adds around it — identity switch, the
 * export's serial lock, a frame a crash recovers to, the error of the call
 * — is small enough to do in the handler and in a return trampoline. So
 * the handler points the caller's context at the export itself, with the
 * caller's registers as they are and a return address that leads to
 * pf_x86_in_place_return (x86_64/in_place.S), which puts the thread back
 * and jumps to where the caller expects to continue. A crash inside the
 * export rewrites the crashing context to resume in
 * pf_x86_in_place_crashed, with the caller's callee-saved registers and
 * control words put back, which fails the call with -EOWNERDEAD.
 *
 * Only the common case goes this way: anything that needs normal context
 * to start (an unbound or lazy import, a private export, buffer copies, a
 * busy serial lock, a trace or statistics being recorded, a call nested
 * too deep, another process's import) takes the await path, which does
 * all of it. */
#ifndef PF_IN_PLACE_H
#define PF_IN_PLACE_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

struct pf_import;
struct pf_thread;
struct resume;

/* In the fault handler: run T's call of IMP in place if it may; true if
 * the context in UC now enters the export. STACK_ARGS and HOW as for
 * dispatch_call. */
bool in_place_enter(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		    uintptr_t stack_args, const struct resume *how);

/* In the fault handler: the export run in place at the top of T's serving
 * frames crashed; make UC resume where the call fails and returns. */
void in_place_contain(struct pf_thread *t, ucontext_t *uc);

#endif
