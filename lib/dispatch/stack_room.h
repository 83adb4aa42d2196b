/* Is there stack left for a call? */
#ifndef PF_STACK_ROOM_H
#define PF_STACK_ROOM_H

#include <stdbool.h>
#include <stdint.h>

struct pf_thread;

/* Would pfipc's own frames (the await path, an export run in place, a
 * restore frame) overflow T's stack from SP? Only a stack pointer inside
 * T's own stack (or just below it, in the guard) can be judged: a program
 * running on a stack of its own making is taken at its word.
 * Async-signal-safe. */
bool stack_no_room(const struct pf_thread *t, uintptr_t sp);

#endif
