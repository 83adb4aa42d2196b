/* What the entries do with a fault that is not a call: pass it on to the
 * program, contain it as a crash of the simulated process that was
 * running, or refuse it with one line on stderr. Async-signal-safe. */
#ifndef PF_REPORT_H
#define PF_REPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct pf_import;
struct pf_process;
struct pf_thread;

/* A fault that is not pfipc's goes where it would have gone without us:
 * the program's handler for SIG, or the default action. */
void entry_pass_on(int sig, siginfo_t *si, void *uc);

/* T crashed while serving an export (T->serving is set): one line on
 * stderr (unless crash lines are off), then leave the handler to the
 * export's serving frame, which fails the call with -EOWNERDEAD. WHAT says
 * what happened ("signal 11 at 0x10 (rip 0x401234)", "stack overflow").
 * Returns only for an export run in place (dispatch/in_place.h), whose
 * recovery rewrites the signal's context: the handler must then return. */
void entry_contain(struct pf_thread *t, const char *what);

/* Something touched the arena that is not a call (or no process made it):
 * one line naming the process, the import, the address and the
 * instruction at RIP; then the process that did it crashes (inside an
 * export: this does not return), or SIGSEGV goes back to its default
 * action, so that the faulting instruction, run again when the handler
 * returns, kills the program as it would have without pfipc. WHAT is the
 * verb ("read or wrote the gate of"). */
void entry_refuse(struct pf_thread *t, uintptr_t rip, uintptr_t addr,
		  const struct pf_process *owner, const struct pf_import *imp,
		  const char *what);

/* A refusal of any entry, for entry_refuse_as: the line reads
 *   pfipc: process "P": WHAT[ import "I"][ of process "O"][ AT VALUE]:
 *   `INSN` at RIP (ALLOWED)
 * and then the process that did it crashes (inside an export: this does
 * not return) or the program dies by SIG at once. */
struct refusal {
	const char *what;               /* the verb: "jumped into the middle of the trap entry of" */
	const struct pf_import *imp;    /* may be NULL */
	const struct pf_process *owner; /* may be NULL */
	const char *at;                 /* "at" (an address), "with call number"; NULL: none */
	uintptr_t value;
	const char *allowed;            /* what would have been a call */
	int sig;
};
void entry_refuse_as(struct pf_thread *t, uintptr_t rip, const struct refusal *r);

/* Crash lines on (default) or off (PFIPC_QUIET_CRASHES=1, for suites that
 * crash servers on purpose). Refusals that kill the program always print. */
void entry_quiet_crashes(bool quiet);

#endif
