/* The window entry: a load or store to a window mapping (a SIGSEGV in the
 * arena's window area). The instruction is decoded and checked here, in
 * the handler, and carried out in normal context (window_job.h). */
#ifndef PF_ENTRY_WINDOW_H
#define PF_ENTRY_WINDOW_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

struct pf_thread;
struct window_job;

/* A SIGSEGV: true if it was in the window area (carried out or refused). */
bool window_entry(int sig, const siginfo_t *si, ucontext_t *uc);

/* Refuse the window access at RIP by T with one line: "WHAT", then AT
 * VALUE, and WHY in parentheses; then the process that made it dies (or
 * crashes, inside an export). Shared with the port entry. */
void window_refuse(struct pf_thread *t, uintptr_t rip, const char *what, const char *at,
		   uint64_t value, const char *why);

/* Hand JOB to dispatch (the thread resumes in normal context to carry it
 * out), or refuse it when it cannot be. Shared with the port entry. */
void window_dispatch(struct pf_thread *t, ucontext_t *uc, const struct window_job *job);

#endif
