/* One call in flight: filled by the fault handler (register image), finished
 * in normal context by the await path (binding, stack bytes, queueing), run
 * by a thread of the callee, completed back to the caller. */
#ifndef PF_MSG_H
#define PF_MSG_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/window_io.h"
#include "pf_limits.h"
#include "arch.h"

struct pf_import;
struct pf_process;
struct pf_thread;
struct export_entry;
struct export_def;

enum msg_state {
	MSG_FILLED,    /* the handler has filled it; not yet queued */
	MSG_QUEUED,    /* on the callee's queue */
	MSG_RUNNING,   /* a callee thread took it */
	MSG_FINISHING, /* the callee is copying results back: too late to
			  abandon */
	MSG_DONE,      /* result or error is in; the caller may read it */
	MSG_ABANDONED, /* the caller gave up (timeout, crash) while it was
			  queued or running: whoever meets it next frees it */
};

enum msg_kind {
	MSG_SYNC,      /* the caller waits in the await trampoline */
	MSG_ASYNC,     /* heap copy; collected with pf_wait(ticket) */
	MSG_ONEWAY,    /* heap copy; freed by the callee when done */
};

/* A link in a lock-free queue. */
struct qlink {
	struct qlink *_Atomic next;
};

/* Laid out by who writes what, so that a call moves as few cache lines
 * between the caller's core and the callee's as it can. */
struct call_msg {
	/* What a waiting caller polls, alone on its line: the callee writes
	 * it only to take the call and to finish it (error, then state). */
	_Atomic uint32_t state;         /* enum msg_state */
	int error;                      /* 0 or a negative errno value */

	/* Written by the caller before the call is queued. */
	alignas(64) struct qlink qlink; /* the queue's link (sched/queue.c) */
	struct call_msg *next;          /* other lists: parked, drained */
	struct pf_import *import;       /* what the caller called through */
	uint8_t kind;                   /* enum msg_kind */
	bool on_heap;                   /* malloc'd (else a thread's storage) */
	bool pushed;                    /* queued from the fault handler */
	struct pf_thread *_Atomic caller; /* whom to wake when done */
	uint64_t ticket;                /* MSG_ASYNC */
	struct pf_process *from;        /* the caller's identity, from its thread */
	const uint8_t *stack_args;      /* caller's stack arguments, in place */
	struct call_msg *outer_wait;    /* what the caller waited for before */
	struct export_entry *entry;     /* what it is bound to */
	const struct export_def *def;   /* its definition when bound */
	struct pf_process *_Atomic callee; /* read by deadlock detection */
	void *fn;                       /* def->fn */
	unsigned flags;                 /* def->flags: PF_EXPORT_* */
	const char *via;                /* the entry it came in by ("gate") */
	uint64_t trace_id;              /* lib/trace/: 0, or the call's id */
	uint64_t t_entered, t_queued;   /* lib/trace/ clock: fault, queueing;
					   0 when not stamped */

	/* Written by the callee. */
	alignas(64) struct pf_thread *_Atomic server; /* the thread running it */
	bool in_turn;                   /* holds its export's turn (queue.c);
					   pass it on when done */
	char detail[LIMIT_DETAIL];      /* why it failed, when there is more
					   to say than the error code */

	/* A window access (what it does in place of a register image):
	 * written by the caller, the bytes of a read by the callee. */
	alignas(64) struct window_io io;

	alignas(64) struct call_regs regs;
	alignas(64) struct call_result result;
};

/* A thread's messages for its own calls, used as a stack: a call made while
 * serving a nested call takes the next one. A message whose caller gave up
 * while the callee still runs it is handed to the callee to free, and its
 * slot gets a fresh one from the heap. */
struct msg_stack {
	unsigned depth;
	struct call_msg *slot[LIMIT_DEPTH];
	struct call_msg storage[LIMIT_DEPTH];
};

/* Point every empty slot of S at its own storage; depth 0. */
void msg_stack_reset(struct msg_stack *s);

/* Make the spare list of heap messages (pf_init, before anything forks).
 * 0 or -ENOMEM. */
int msg_pool_init(void);
/* A message on the heap (shared memory), aligned as its layout wants; NULL
 * without memory. */
struct call_msg *msg_alloc(void);
/* Free a heap message (a thread's own storage is never freed). */
void msg_free(struct call_msg *m);

#endif
