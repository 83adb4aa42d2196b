/* Process lifecycle: create, join, attach, stop, join, restart — the
 * control path, above the call path. A process's server threads run the
 * serve loop here; what a crash does to a process is the serving layer's
 * (sched/crashed.c), whether it comes back is decided here. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "entry/thread.h"
#include "ident/identity.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/complete.h"
#include "sched/queue.h"
#include "sched/serve.h"
#include "trace/record.h"

/* The lifecycle's part of a process. */
struct process_life {
	pf_init_fn init;              /* first start; NULL once it ran */
	void *init_arg;
	int init_result;
	sem_t init_done;
	pf_init_fn restart_init;      /* kept for restarts */
	void *restart_arg;

	unsigned nservers;            /* threads pf_process_create started */
	pthread_t servers[LIMIT_PROCESS_THREADS];
	_Atomic unsigned servers_running;
	pthread_mutex_t join_lock;
	bool joined;                  /* its servers have been joined */
};

/* A record with every layer's part, findable by index. */
static int process_make(const char *name, const pf_process_options *opts,
			struct pf_process **out)
{
	int rc = pf_init();
	if (rc)
		return rc;
	struct pf_process *p;
	if ((rc = process_new(name, opts, &p)) != 0)
		return rc;
	struct process_life *life = calloc(1, sizeof *life);
	if (!life || queue_create(p) != 0 || import_table_create(p) != 0) {
		free(life);
		return -ENOMEM;   /* the record itself is never reused */
	}
	pthread_mutex_init(&life->join_lock, NULL);
	sem_init(&life->init_done, 0, 0);
	p->life = life;
	process_publish(p);
	*out = p;
	return 0;
}

/* The calling thread becomes a thread of P: its record, the entry
 * layer's state (decoder, alternate stack), its place among P's threads. */
static int thread_join(struct pf_process *p, enum thread_role role, struct pf_thread **out)
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

static void thread_part(struct pf_process *p, struct pf_thread *t)
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
static void serve_until_stopped(struct pf_thread *t, struct pf_process *p)
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
static void process_finish(struct pf_process *p)
{
	registry_withdraw(p);
	struct call_msg *left;
	int was = queue_finish(p, &left);
	/* Nothing can be queued after STOPPING; this only catches calls
	 * queued while the last server was already on its way out. */
	msg_fail_all(left, atomic_load(&p->died_crashed) ? -EOWNERDEAD : -ESRCH);
	identity_process_exit(p);
	if (was != PROC_CRASHED && was != PROC_DEAD) {
		trace_process_died(p, PF_DIED_STOPPED);
		process_tell_watchers(p, PF_DIED_STOPPED);
	}
}

static void *server_main(void *arg)
{
	struct pf_process *p = arg;
	struct process_life *life = p->life;
	struct pf_thread *t = NULL;
	int rc = thread_join(p, ROLE_SERVER, &t);
	bool first = atomic_fetch_add(&life->servers_running, 1) == 0 && life->init;
	if (first) {
		pf_init_fn init = life->init;
		life->init = NULL;
		life->init_result = rc ? rc : init(life->init_arg);
		sem_post(&life->init_done);
		if (life->init_result)
			rc = life->init_result;
	}
	if (!rc)
		serve_until_stopped(t, p);
	if (t)
		thread_part(p, t);
	if (atomic_fetch_sub(&life->servers_running, 1) == 1)
		process_finish(p);
	return NULL;
}

static int start_servers(struct pf_process *p, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		if (pthread_create(&p->life->servers[i], NULL, server_main, p) != 0)
			return -EAGAIN;
		p->life->nservers = i + 1;
	}
	return 0;
}

int pf_process_create(pf_process **out, const char *name,
		      const pf_process_options *opts, pf_init_fn init, void *arg)
{
	if (!out || !init)
		return -EINVAL;
	struct pf_process *p;
	int rc = process_make(name, opts, &p);
	if (rc)
		return rc;
	struct process_life *life = p->life;
	life->init = life->restart_init = init;
	life->init_arg = life->restart_arg = arg;
	if ((rc = start_servers(p, 0, 1)) != 0) {
		atomic_store(&p->state, PROC_DEAD);
		return rc;
	}
	while (sem_wait(&life->init_done) != 0)
		;
	if (life->init_result) {
		/* Its thread may already have closed it (DEAD): never revive. */
		int starting = PROC_STARTING;
		atomic_compare_exchange_strong(&p->state, &starting, PROC_STOPPING);
		pf_process_join(p);
		return life->init_result;
	}
	atomic_store(&p->state, PROC_RUNNING);
	rc = start_servers(p, 1, p->opts.threads);
	if (rc) {
		pf_process_stop(p);
		pf_process_join(p);
		return rc;
	}
	*out = p;
	return 0;
}

int pf_process_join_self(pf_process **out, const char *name)
{
	if (pf_current)
		return -EBUSY;
	struct pf_process *p;
	int rc = process_make(name, NULL, &p);
	if (rc)
		return rc;
	struct pf_thread *t;
	if ((rc = thread_join(p, ROLE_JOINED, &t)) != 0) {
		atomic_store(&p->state, PROC_DEAD);
		return rc;
	}
	atomic_store(&p->state, PROC_RUNNING);
	if (out)
		*out = p;
	return 0;
}

int pf_thread_attach(pf_process *p)
{
	if (!p)
		return -EINVAL;
	if (pf_current)
		return -EBUSY;
	if (atomic_load(&p->state) >= PROC_STOPPING)
		return -ESRCH;
	struct pf_thread *t;
	return thread_join(p, ROLE_ATTACHED, &t);
}

int pf_thread_detach(void)
{
	struct pf_thread *t = pf_current;
	if (!t || t->role == ROLE_SERVER)
		return -EINVAL;
	struct pf_process *p = t->proc;
	bool closes = t->role == ROLE_JOINED;
	if (closes) {
		pf_process_stop(p);
		serve_until_stopped(t, p);   /* what was queued still gets served */
	}
	thread_part(p, t);
	if (closes)
		process_finish(p);
	return 0;
}

int pf_process_serve(void)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return -EINVAL;
	serve_until_stopped(t, t->proc);
	return 0;
}

int pf_process_stop(pf_process *p)
{
	if (!p)
		return -EINVAL;
	queue_stop(p);
	wake_group_notify_all(&p->threads);
	return 0;
}

int pf_process_join(pf_process *p)
{
	if (!p)
		return -EINVAL;
	struct pf_thread *t = pf_current;
	if (t && t->proc == p)
		return t->role == ROLE_SERVER ? -EDEADLK : -EINVAL;
	/* Its own lock, held while joining: a second joiner returns only once
	 * the threads have really ended. */
	struct process_life *life = p->life;
	pthread_mutex_lock(&life->join_lock);
	if (!life->joined)
		for (unsigned i = 0; i < life->nservers; i++)
			pthread_join(life->servers[i], NULL);
	life->joined = true;
	pthread_mutex_unlock(&life->join_lock);
	return 0;
}
