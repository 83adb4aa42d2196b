/* The interrupt-vector entry: int $N with a call number in eax. */
#ifndef PF_VECTOR_H
#define PF_VECTOR_H

#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>

/* A SIGSEGV (or, under valgrind, a SIGILL): true if it was `int $V` (V the
 * vector pfipc uses) with one of pfipc's call numbers (dispatched or
 * refused). */
bool vector_entry(int sig, const siginfo_t *si, ucontext_t *uc);

/* Is VECTOR one an int entry may use? The kernel owns 3 (int3), 4
 * (overflow) and 0x80 (32-bit system calls); every other vector raises a
 * general-protection fault in user mode. */
bool vector_usable(unsigned vector);

#endif
