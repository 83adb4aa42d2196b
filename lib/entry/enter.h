/* The last step every entry shares: hand the call to dispatch, or refuse
 * it with one line. Async-signal-safe. */
#ifndef PF_ENTER_H
#define PF_ENTER_H

#include <stdint.h>
#include <ucontext.h>
#include "dispatch/dispatch.h"

struct pf_import;
struct pf_thread;
struct stub_place;

/* T called IMP from context UC with its stack arguments at STACK_ARGS,
 * resuming as HOW says, through the entry VIA names (a static string that
 * traces and statistics carry: "gate", "trap", "syscall"...). A caller
 * whose stack has no room left for the call has overflowed it: a crash of
 * the process it serves, or (outside any export) the program dies by SIG. */
void enter_call(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		uintptr_t stack_args, struct resume how, int sig, const char *via);

/* A call to a stub that was CALLed (trap, ud2): its return address is at
 * [rsp], as for a gate. */
void enter_stub(const struct stub_place *pl, ucontext_t *uc, int sig);

/* A numbered entry (int $N, syscall, int $0x80) whose number NR is in
 * pfipc's range. The entry has already put the argument registers in the
 * System V places in UC (rcx for the fourth, al alone in rax). */
struct numbered {
	uint32_t nr;
	uintptr_t site;      /* the entering instruction, for a refusal */
	uintptr_t resume;    /* where the caller goes on */
	int sig;             /* what the program dies by on a refusal */
	const char *how;     /* "int $0x81", "syscall", "int $0x80" */
	const char *via;     /* "int", "syscall", "int80": static */
};
void enter_numbered(const struct numbered *n, ucontext_t *uc);

#endif
