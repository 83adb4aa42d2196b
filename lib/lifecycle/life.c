/* Process lifecycle: create, join, attach, stop, join — the control path,
 * above the call path. A process's threads are servers.c's; an isolated
 * process's OS process is isolate.c's. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "base/shared.h"
#include "ident/import.h"
#include "lifecycle/isolate.h"
#include "lifecycle/life.h"
#include "lifecycle/servers.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/queue.h"

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
	struct process_life *life = shared_alloc(sizeof *life);
	if (!life || queue_create(p) != 0 || import_table_create(p) != 0) {
		shared_free(life);
		return -ENOMEM;   /* the record itself is never reused */
	}
	shared_lock_init(&life->join_lock);
	sem_init(&life->init_done, 1, 0);
	sem_init(&life->started, 1, 0);
	p->life = life;
	process_publish(p);
	*out = p;
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
	if (p->opts.isolation == PF_ISOLATE_SPACE) {
		if ((rc = isolate_create(p)) != 0)
			return rc;
		*out = p;
		return 0;
	}
	if ((rc = servers_start(p, 0, 1)) != 0) {
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
	rc = servers_start(p, 1, p->opts.threads);
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
	if ((rc = servers_thread_join(p, ROLE_JOINED, &t)) != 0) {
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
	/* A thread serves its process's calls while it waits: only a thread
	 * of the OS process whose memory the process's code uses may. */
	if (!space_is_local(p))
		return -EPERM;
	if (atomic_load(&p->state) >= PROC_STOPPING)
		return -ESRCH;
	struct pf_thread *t;
	return servers_thread_join(p, ROLE_ATTACHED, &t);
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
		servers_serve_until_stopped(t, p);   /* what was queued still gets served */
	}
	servers_thread_part(p, t);
	if (closes)
		servers_process_finish(p);
	return 0;
}

int pf_process_serve(void)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return -EINVAL;
	servers_serve_until_stopped(t, t->proc);
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
	if (p->opts.isolation == PF_ISOLATE_SPACE) {
		isolate_join(p);
		return 0;
	}
	/* Its own lock, held while joining: a second joiner returns only once
	 * the threads have really ended. */
	struct process_life *life = p->life;
	shared_lock(&life->join_lock);
	if (!life->joined)
		for (unsigned i = 0; i < life->nservers; i++)
			pthread_join(life->servers[i], NULL);
	life->joined = true;
	shared_unlock(&life->join_lock);
	return 0;
}
