/* What the window entries (window.c, port.c) leave for normal context: the
 * decoded instruction, the registers it starts from, and where its
 * accesses go. window_job_run carries it out there (dispatch/restore.h):
 * each access of the instruction becomes a call to the window's owner,
 * then the registers are written back as the instruction leaves them. */
#ifndef PF_ENTRY_WINDOW_JOB_H
#define PF_ENTRY_WINDOW_JOB_H

#include <stdint.h>
#include <ucontext.h>
#include "entry/cpu_state.h"
#include "entry/emulate.h"

struct pf_import;

struct window_job {
	struct emu_cpu cpu;         /* at the fault */
	struct emu_plan plan;
	struct pf_import *imp;      /* the mapping's: loads, updates, stores */
	struct pf_import *posted;   /* stores, when they are posted; else NULL */
	uint64_t base;              /* the address (or port) of offset 0 */
	const char *via;            /* "window", "port" */
};

/* A restore_fn: perform JOB's plan through calls to the owner, set the
 * thread's pf_errno (the first failure, or 0), and write the registers
 * into UC. */
void window_job_run(ucontext_t *uc, void *job);

#endif
