/* Per-thread state of every thread that takes part in pfipc: made when the
 * thread joins (normal context), so the fault handler finds everything it
 * needs already allocated — decoder, message slots, alternate stack. */
#ifndef PF_THREAD_H
#define PF_THREAD_H

#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include "call_msg.h"

struct decoder;
struct pf_process;

#define THREAD_MAX_DEPTH 32u       /* nested calls on one thread */
#define THREAD_ERRMSG    256u

enum thread_role {
	ROLE_SERVER,    /* started by pf_process_create: serves the queue */
	ROLE_JOINED,    /* the thread pf_process_join_self made a process of */
	ROLE_ATTACHED,  /* pf_thread_attach */
};

struct pf_thread {
	struct pf_process *proc;      /* the process this thread belongs to */
	struct pf_process *self;      /* whose code runs now (pf_self) */
	enum thread_role role;
	unsigned index;               /* bit in proc->idle_mask */
	pid_t tid;

	struct decoder *dec;
	stack_t altstack;

	/* Wake-ups: a notifier bumps `wake` and futex-wakes if `sleeping`.
	 * Their own cache line: the thread itself does not write it while it
	 * spins, so a notifier's bump stays on the notifier's core. */
	alignas(64) _Atomic uint32_t wake;
	_Atomic uint32_t sleeping;
	alignas(64) unsigned spin_budget; /* adapts: see wait.c */

	/* Messages for this thread's own calls, used as a stack: calls made
	 * while serving a nested call take the next one. A message whose
	 * caller gave up (timeout) while the callee still runs it is handed
	 * to the callee to free, and its slot gets a fresh one. */
	unsigned depth;
	struct call_msg *slot[THREAD_MAX_DEPTH];
	struct call_msg storage[THREAD_MAX_DEPTH];

	struct call_msg *_Atomic waiting_on; /* the call this thread awaits
						(deadlock detection reads it) */
	struct serve_frame *serving;  /* innermost export running here, for
					 crash recovery; NULL outside one */
	int crash_signal;             /* set by the handler before recovery */
	uintptr_t crash_addr, crash_rip;

	struct pf_process *caller_proc; /* pf_caller(): who called self */
	struct pf_thread *next_spare;   /* thread.c's list of spare records */

	int err;                      /* pf_errno() */
	char errmsg[THREAD_ERRMSG];   /* pf_error_message() */
};

/* The calling thread's record, or NULL. initial-exec TLS: reading it from
 * the signal handler must not call into the dynamic linker. */
extern __thread struct pf_thread *pf_current
	__attribute__((tls_model("initial-exec")));

/* Set up / tear down the calling thread's record (normal context). */
int thread_enter(struct pf_process *p, enum thread_role role,
		 struct pf_thread **out);
void thread_leave(void);

#endif
