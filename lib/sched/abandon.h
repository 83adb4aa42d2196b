/* A caller giving up on its own call: after a timeout, or when a crash
 * (a stack overflow, say) unwinds the thread past calls it had in flight. */
#ifndef PF_ABANDON_H
#define PF_ABANDON_H

#include <stdbool.h>

struct pf_thread;

/* T gives up on the call in its message slot SLOT, queued or running: it
 * is handed to whoever meets it next (the queue's consumer, or the callee
 * when it finishes) to free, and the slot gets a fresh message. False if
 * the call finished first, or no memory for a fresh message (then it must
 * be waited for). */
bool call_abandon(struct pf_thread *t, unsigned slot);

/* A crash unwound T to a frame entered at call depth DEPTH: give up on
 * every call T made above it (waiting for those that cannot be given up),
 * and make DEPTH T's depth again. */
void calls_unwind(struct pf_thread *t, unsigned depth);

#endif
