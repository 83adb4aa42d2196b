/* The page-fault entry: calls through import slots and gates. */
#ifndef PF_FAULT_H
#define PF_FAULT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

/* A SIGSEGV at ADDR inside the arena: turn it into a call, or refuse it.
 * False if ADDR is not in the arena (not this entry's). */
bool fault_entry(uintptr_t addr, ucontext_t *uc);

#endif
