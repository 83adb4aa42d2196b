/* Serving a call on a thread of the callee (or, for a migrating export, on
 * the caller's own thread): the export's serialisation, buffer copies, the
 * invocation itself, and recovery when it crashes. */
#ifndef PF_SERVE_H
#define PF_SERVE_H

#include <setjmp.h>
#include <stdbool.h>
#include "sched/copies.h"

struct call_msg;
struct export_entry;
struct pf_process;
struct pf_thread;

/* The innermost export running on a thread: where a crash recovers to,
 * and what the thread looked like when it started, so that recovery can
 * put it back. A call served here recovers by longjmp to `recover`; one
 * run in place (dispatch/in_place.c) by a rewrite of the signal context. */
struct serve_frame {
	jmp_buf recover;
	struct call_msg *m;              /* NULL when run in place */
	struct pf_process *callee;       /* whose export runs */
	const struct export_entry *entry;
	struct serve_frame *outer;
	struct buffer_copies copies;
	unsigned depth;                  /* the thread's call depth then */
	struct call_msg *waiting_on;     /* and what it waited for */
	bool in_place;
};

/* Run M on T and complete it; then, while M's export has calls parked
 * for its turn, those too. */
void serve_call(struct pf_thread *t, struct call_msg *m);

#endif
