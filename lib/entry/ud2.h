/* The invalid-opcode entry: a call to an import's ud2 stub. */
#ifndef PF_UD2_H
#define PF_UD2_H

#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>

/* A SIGILL: true if it was a call to a ud2 stub (dispatched). */
bool ud2_entry(int sig, const siginfo_t *si, ucontext_t *uc);

#endif
