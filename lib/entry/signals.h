/* Ownership of the fault signals: see signals.c. */
#ifndef PF_SIGNALS_H
#define PF_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

/* SIGSEGV (calls, crashes), SIGBUS, SIGFPE (crashes), SIGILL, SIGTRAP,
 * SIGSYS (calls, crashes). */
bool signals_is_kept(int sig);

/* Install HANDLER for every kept signal; remember the program's. */
int signals_install(void (*handler)(int, siginfo_t *, void *));

/* The handler the program installed for SIG (before or after pf_init). */
const struct sigaction *signals_program_handler(int sig);

/* Give SIG back to the default action (async-signal-safe): the faulting
 * instruction, re-executed, then kills the program by SIG. */
void signals_die_by_default(int sig);

#endif
