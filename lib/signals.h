/* SIGSEGV ownership: see signals.c. */
#ifndef PF_SIGNALS_H
#define PF_SIGNALS_H

#include <signal.h>

/* Install HANDLER for SIGSEGV; remember the program's. */
int signals_install(void (*handler)(int, siginfo_t *, void *));

/* The handler the program installed (before or after pf_init). */
const struct sigaction *signals_program_handler(void);

/* Give SIGSEGV back to the default action (async-signal-safe): the faulting
 * instruction, re-executed, then kills the program by SIGSEGV. */
void signals_die_by_default(void);

#endif
