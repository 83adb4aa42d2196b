/* The trap entry: a call to an import's int3 stub. */
#ifndef PF_TRAP_H
#define PF_TRAP_H

#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>

/* A SIGTRAP: true if it was a call to a trap stub (dispatched). */
bool trap_entry(int sig, const siginfo_t *si, ucontext_t *uc);

#endif
