/* Per-thread state of every thread that takes part in pfipc, grouped by
 * the layer that owns each part. Made when the thread joins (normal
 * context), so the fault handler finds everything already allocated. */
#ifndef PF_THREAD_H
#define PF_THREAD_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/msg.h"
#include "proc/errors.h"
#include "proc/wait.h"

struct entry_thread;
struct pf_process;
struct serve_frame;

enum thread_role {
	ROLE_SERVER,    /* started by pf_process_create: serves the queue */
	ROLE_JOINED,    /* the thread pf_process_join_self made a process of */
	ROLE_ATTACHED,  /* pf_thread_attach */
};

struct pf_thread {
	/* Membership. */
	struct pf_process *proc;      /* the process this thread belongs to */
	enum thread_role role;
	pid_t tid;
	uintptr_t stack_lo, stack_hi; /* its stack's usable range (0, 0 if
					 unknown) */

	/* Identity: whose code runs now (pf_self) and who called it
	 * (pf_caller); the serving layer switches both around each call. */
	struct pf_process *self;
	struct pf_process *caller_proc;

	/* The entry layer's own (decoder, alternate stack): opaque here. */
	struct entry_thread *entry;

	/* Waiting and being woken. */
	struct waiter wait;

	/* Messages for this thread's own calls. */
	struct msg_stack calls;

	/* Serving: the call this thread awaits (deadlock detection follows
	 * it from other threads), and the innermost export running here (for
	 * crash recovery; NULL outside one). */
	struct call_msg *_Atomic waiting_on;
	struct serve_frame *serving;
	/* What crashed ("signal 11 at 0x10 (rip 0x401234)"): written by the
	 * entry layer before it recovers to `serving`. */
	char crash_what[96];

	struct thread_error error;
	struct pf_thread *next_spare;   /* thread.c's list of spare records */
};

/* The calling thread's record, or NULL. initial-exec TLS: reading it from
 * the signal handler must not call into the dynamic linker. */
extern __thread struct pf_thread *pf_current
	__attribute__((tls_model("initial-exec")));

/* Give the calling thread a record as a thread of P (normal context).
 * -EBUSY if it has one, -ENOMEM. */
int thread_enter(struct pf_process *p, enum thread_role role,
		 struct pf_thread **out);
/* Drop the calling thread's record (kept for reuse, with its entry state). */
void thread_leave(void);

#endif
