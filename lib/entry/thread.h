/* What the entry layer keeps per thread, made when the thread joins (in
 * normal context) so the signal handlers find it ready: a decoder with its
 * preallocated instruction, and an alternate signal stack (a stack overflow
 * in a simulated process must still reach the handler), and Syscall User
 * Dispatch once syscall entry is on (sud.h). */
#ifndef PF_ENTRY_THREAD_H
#define PF_ENTRY_THREAD_H

struct decoder;
struct pf_thread;

/* Set up T (the calling thread's record) for the signal handlers. 0 or a
 * negative errno value. */
int entry_thread_join(struct pf_thread *t);
/* The calling thread leaves: its alternate stack is switched off (the
 * state stays with the record for its next user). */
void entry_thread_leave(struct pf_thread *t);

/* A decoder for the handler on T: T's own, or, for a thread that belongs
 * to no process (T NULL), a spare one the first such thread takes; NULL
 * when none is left. Async-signal-safe. */
struct decoder *entry_decoder(struct pf_thread *t);

/* The context of the signal the calling thread's handler is handling
 * (innermost), for the parts that rewrite it without being handed it: set
 * on the way in, restored on the way out (returns what was there).
 * Async-signal-safe. */
#include <ucontext.h>
ucontext_t *entry_context_swap(ucontext_t *uc);
ucontext_t *entry_context(void);

/* Open the spare decoder (normal context, once, before the handlers). */
int entry_spare_decoder_open(void);

#endif
