/* A process's threads: the server threads pf_process_create starts and
 * the serve loop they run (and that joined threads run while they serve),
 * in-process restarts, and the last thread's close. Used by the API
 * (life.c) and by an isolated process's own OS process (isolate.c). What
 * a crash does to a process is the serving layer's (sched/crashed.c);
 * whether it comes back in place is decided here. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include "entry/thread.h"
#include "ident/identity.h"
#include "ident/registry.h"
#include "lifecycle/life.h"
#include "lifecycle/servers.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/complete.h"
#include "sched/queue.h"
#include "sched/serve.h"
#include "trace/record.h"

/* The calling thread becomes a thread of P: its record, the entry
 * layer's state (decoder, alternate stack), its place among P's threads. */
int servers_thread_join(struct pf_process *p, enum thread_role role, struct pf_thread **out)
{
	struct pf_thread *t;
	int rc = thread_enter(p, role, &t);
	if (rc)
		return rc;
	if ((rc = entry_thread_join(t)) != 0 || (rc = wake_group_join(&p->threads, &t->wait)) != 0) {
		entry_thread_leave(t);
		thread_leave();
		return rc;
	}
	*out = t;
	return 0;
}

void servers_thread_part(struct pf_process *p, struct pf_thread *t)
{
	wake_group_leave(&p->threads, &t->wait);
	entry_thread_leave(t);
	thread_leave();
}

/* A server thread found P crashed: start the next incarnation from its
 * init, on this thread, if the policy says so. */
static bool restart(struct pf_thread *t, struct pf_process *p)
{
	if (t->role != ROLE_SERVER || p->opts.restart != PF_RESTART_ALWAYS)
		return false;
	int crashed = PROC_CRASHED;
	if (!atomic_compare_exchange_strong(&p->state, &crashed, PROC_STARTING))
		return true;   /* another of its threads is restarting it */
	uint64_t t0 = trace_now();
	int rc = p->life->restart_init(p->life->restart_arg);
	trace_process_restarted(p, t0, rc);
	if (rc != 0) {
		atomic_store(&p->state, PROC_STOPPING);
		return false;
	}
	atomic_store(&p->state, PROC_RUNNING);
	atomic_store(&p->died_crashed, false);
	return true;
}

static bool work_or_stop(void *ctx)
{
	struct pf_process *p = ctx;
	return queue_pending(p) || atomic_load(&p->state) >= PROC_STOPPING;
}

/* Serve P's queue on T until P stops and its queue is empty. */
void servers_serve_until_stopped(struct pf_thread *t, struct pf_process *p)
{
	for (;;) {
		struct call_msg *m = queue_pop(p);
		if (m) {
			serve_call(t, m);
			continue;
		}
		int state = atomic_load(&p->state);
		if (state == PROC_CRASHED && restart(t, p))
			continue;
		if (state >= PROC_STOPPING)
			return;
		wait_until(&t->wait, work_or_stop, p, &p->threads, NULL);
	}
}

/* The last thread out withdraws the exports and closes the process. */
void servers_process_finish(struct pf_process *p)
{
	registry_withdraw(p);
	struct call_msg *left;
	int was = queue_finish(p, &left);
	/* Nothing can be queued after STOPPING; this only catches calls
	 * queued while the last server was already on its way out. */
	msg_fail_all(left, atomic_load(&p->died_crashed) ? -EOWNERDEAD : -ESRCH);
	identity_process_exit(p);
	/* In an isolated process's own OS process, the program tells the
	 * watchers (their code and data are the program's) once this OS
	 * process has ended. */
	if (was != PROC_CRASHED && was != PROC_DEAD && !space_isolated_self()) {
		trace_process_died(p, PF_DIED_STOPPED);
		process_tell_watchers(p, PF_DIED_STOPPED);
	}
}

static void *server_main(void *arg)
{
	struct pf_process *p = arg;
	struct process_life *life = p->life;
	struct pf_thread *t = NULL;
	int rc = servers_thread_join(p, ROLE_SERVER, &t);
	bool first = atomic_fetch_add(&life->servers_running, 1) == 0 && life->init;
	if (first) {
		pf_init_fn init = life->init;
		life->init = NULL;
		life->init_result = rc ? rc : init(life->init_arg);
		/* An isolated process serves from here on: its program must
		 * see it running (it restarts only a process that was) before
		 * a call can crash it. */
		if (!life->init_result && space_isolated_self()) {
			int starting = PROC_STARTING;
			atomic_compare_exchange_strong(&p->state, &starting, PROC_RUNNING);
			atomic_store(&p->died_crashed, false);
		}
		sem_post(&life->init_done);
		if (life->init_result)
			rc = life->init_result;
	}
	if (!rc)
		servers_serve_until_stopped(t, p);
	if (t)
		servers_thread_part(p, t);
	if (atomic_fetch_sub(&life->servers_running, 1) == 1)
		servers_process_finish(p);
	return NULL;
}

int servers_start(struct pf_process *p, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		if (pthread_create(&p->life->servers[i], NULL, server_main, p) != 0)
			return -EAGAIN;
		p->life->nservers = i + 1;
	}
	return 0;
}
