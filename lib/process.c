/* Process lifecycle and the call queue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "call.h"
#include "identity.h"
#include "process.h"
#include "proc/options.h"
#include "registry.h"
#include "thread.h"
#include "wait.h"

/* Process records are never freed or reused: imports and export entries
 * point at them for the life of the program. */
static struct pf_process *_Atomic table[ARENA_MAX_PROCESSES];
static _Atomic unsigned ncreated;

struct pf_process *process_by_index(unsigned i)
{
	return i < ARENA_MAX_PROCESSES ? atomic_load_explicit(&table[i], memory_order_acquire) : NULL;
}

bool process_is_alive(const struct pf_process *p)
{
	return p && atomic_load(&p->state) != PROC_DEAD;
}

static bool name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= PROCESS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!(c == '_' || c == '-' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

static int process_new(const char *name, const pf_process_options *opts,
		       struct pf_process **out)
{
	int rc = pf_init();
	if (rc)
		return rc;
	if (!name_valid(name))
		return -EINVAL;
	pf_process_options o;
	if ((rc = process_options_read(&o, opts)) != 0)
		return rc;
	if (o.threads > PROCESS_MAX_THREADS)
		return -EINVAL;
	unsigned idx = atomic_fetch_add(&ncreated, 1);
	if (idx >= ARENA_MAX_PROCESSES)
		return -ENOSPC;
	struct pf_process *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	strcpy(p->name, name);
	p->index = idx;
	p->opts = o;
	if (p->opts.threads == 0)
		p->opts.threads = 1;
	if (p->opts.bind_timeout_ns == 0)
		p->opts.bind_timeout_ns = 1000000000;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->join_lock, NULL);
	pthread_mutex_init(&p->imports_lock, NULL);
	sem_init(&p->init_done, 0, 0);
	atomic_store(&p->state, PROC_STARTING);
	atomic_store_explicit(&table[idx], p, memory_order_release);
	*out = p;
	return 0;
}

int process_add_thread(struct pf_process *p, struct pf_thread *t)
{
	pthread_mutex_lock(&p->lock);
	int rc = -ENOSPC;
	for (unsigned i = 0; i < PROCESS_MAX_THREADS; i++) {
		if (!atomic_load(&p->threads[i])) {
			t->index = i;
			atomic_store(&p->threads[i], t);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void process_remove_thread(struct pf_process *p, struct pf_thread *t)
{
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->threads[t->index], NULL);
	pthread_mutex_unlock(&p->lock);
}

void process_notify_all(struct pf_process *p)
{
	for (unsigned i = 0; i < PROCESS_MAX_THREADS; i++) {
		struct pf_thread *t = atomic_load(&p->threads[i]);
		if (t)
			thread_notify(t);
	}
}

static void tell_watchers(struct pf_process *p, int why)
{
	pthread_mutex_lock(&p->lock);
	unsigned n = p->nwatchers;
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < n; i++)
		p->watchers[i].fn(p, why, p->watchers[i].arg);
}

static void fail_all(struct call_msg *m, int err)
{
	while (m) {
		struct call_msg *next = m->next;
		call_complete(m, err);
		m = next;
	}
}

void process_crashed(struct pf_process *p)
{
	pthread_mutex_lock(&p->lock);
	int state = atomic_load(&p->state);
	struct call_msg *queued = NULL;
	if (state == PROC_STARTING || state == PROC_RUNNING) {
		atomic_store(&p->state, PROC_CRASHED);
		atomic_fetch_add(&p->crashes, 1);
		atomic_store(&p->died_crashed, true);
		queued = process_take_all_locked(p);
	}
	pthread_mutex_unlock(&p->lock);
	if (state != PROC_STARTING && state != PROC_RUNNING)
		return;
	registry_withdraw(p);
	fail_all(queued, -EOWNERDEAD);
	process_notify_all(p);   /* its servers restart it, or leave */
	tell_watchers(p, PF_DIED_CRASHED);
}

bool process_crashed_last(const struct pf_process *p)
{
	int state = atomic_load(&p->state);
	return state == PROC_CRASHED || (atomic_load(&p->died_crashed) &&
					 (state == PROC_DEAD || state == PROC_STARTING));
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
	if (p->restart_init(p->restart_arg) != 0) {
		atomic_store(&p->state, PROC_STOPPING);
		return false;
	}
	atomic_store(&p->state, PROC_RUNNING);
	atomic_store(&p->died_crashed, false);
	return true;
}

/* ---- serving ---------------------------------------------------------- */

static bool work_or_stop(void *ctx)
{
	struct pf_process *p = ctx;
	int state = atomic_load(&p->state);
	return atomic_load(&p->queued) || state >= PROC_STOPPING;
}

/* Serve P's queue on T until P stops and its queue is empty. */
static void serve_until_stopped(struct pf_thread *t, struct pf_process *p)
{
	for (;;) {
		struct call_msg *m = process_dequeue(p);
		if (m) {
			call_serve(t, m);
			continue;
		}
		int state = atomic_load(&p->state);
		if (state == PROC_CRASHED && restart(t, p))
			continue;
		if (state >= PROC_STOPPING)
			return;
		wait_until(t, work_or_stop, p, p, NULL);
	}
}

/* The last thread out withdraws the exports and closes the process. */
static void process_finish(struct pf_process *p)
{
	registry_withdraw(p);
	pthread_mutex_lock(&p->lock);
	int was = atomic_exchange(&p->state, PROC_DEAD);
	struct call_msg *m = process_take_all_locked(p);
	pthread_mutex_unlock(&p->lock);
	/* Nothing can be queued after STOPPING; this only catches calls
	 * queued while the last server was already on its way out. */
	fail_all(m, atomic_load(&p->died_crashed) ? -EOWNERDEAD : -ESRCH);
	identity_process_exit(p);
	if (was != PROC_CRASHED && was != PROC_DEAD)
		tell_watchers(p, PF_DIED_STOPPED);
}

static void *server_main(void *arg)
{
	struct pf_process *p = arg;
	struct pf_thread *t;
	int rc = thread_enter(p, ROLE_SERVER, &t);
	bool entered = rc == 0;
	if (entered && (rc = process_add_thread(p, t)) != 0) {
		thread_leave();
		entered = false;
	}
	bool first = atomic_fetch_add(&p->servers_running, 1) == 0 && p->init;
	if (first) {
		pf_init_fn init = p->init;
		p->init = NULL;
		p->init_result = rc ? rc : init(p->init_arg);
		sem_post(&p->init_done);
		if (p->init_result)
			rc = p->init_result;
	}
	if (!rc)
		serve_until_stopped(t, p);
	if (entered) {
		process_remove_thread(p, t);
		thread_leave();
	}
	if (atomic_fetch_sub(&p->servers_running, 1) == 1)
		process_finish(p);
	return NULL;
}

static int start_servers(struct pf_process *p, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		if (pthread_create(&p->servers[i], NULL, server_main, p) != 0)
			return -EAGAIN;
		p->nservers = i + 1;
	}
	return 0;
}

int pf_process_create(pf_process **out, const char *name,
		      const pf_process_options *opts, pf_init_fn init, void *arg)
{
	if (!out || !init)
		return -EINVAL;
	struct pf_process *p;
	int rc = process_new(name, opts, &p);
	if (rc)
		return rc;
	p->init = p->restart_init = init;
	p->init_arg = p->restart_arg = arg;
	if ((rc = start_servers(p, 0, 1)) != 0) {
		atomic_store(&p->state, PROC_DEAD);
		return rc;
	}
	while (sem_wait(&p->init_done) != 0)
		;
	if (p->init_result) {
		/* Its thread may already have closed it (DEAD): never revive. */
		int starting = PROC_STARTING;
		atomic_compare_exchange_strong(&p->state, &starting, PROC_STOPPING);
		pf_process_join(p);
		return p->init_result;
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
	int rc = process_new(name, NULL, &p);
	if (rc)
		return rc;
	struct pf_thread *t;
	if ((rc = thread_enter(p, ROLE_JOINED, &t)) != 0) {
		atomic_store(&p->state, PROC_DEAD);
		return rc;
	}
	process_add_thread(p, t);
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
	int rc = thread_enter(p, ROLE_ATTACHED, &t);
	if (rc)
		return rc;
	if ((rc = process_add_thread(p, t)) != 0)
		thread_leave();
	return rc;
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
	process_remove_thread(p, t);
	thread_leave();
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
	pthread_mutex_lock(&p->lock);
	int state = atomic_load(&p->state);
	if (state < PROC_STOPPING)
		atomic_store(&p->state, PROC_STOPPING);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < PROCESS_MAX_THREADS; i++) {
		struct pf_thread *t = atomic_load(&p->threads[i]);
		if (t)
			thread_notify(t);
	}
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
	pthread_mutex_lock(&p->join_lock);
	if (!p->joined)
		for (unsigned i = 0; i < p->nservers; i++)
			pthread_join(p->servers[i], NULL);
	p->joined = true;
	pthread_mutex_unlock(&p->join_lock);
	return 0;
}

int pf_process_watch(pf_process *p, pf_death_fn fn, void *arg)
{
	if (!p || !fn)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	int rc = -ENOSPC;
	if (p->nwatchers < PROCESS_MAX_WATCHERS) {
		p->watchers[p->nwatchers].fn = fn;
		p->watchers[p->nwatchers].arg = arg;
		p->nwatchers++;
		rc = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

unsigned pf_process_crashes(const pf_process *p)
{
	return p ? atomic_load(&p->crashes) : 0;
}

pf_process *pf_self(void)
{
	struct pf_thread *t = pf_current;
	return t ? t->self : NULL;
}

const char *pf_process_name(const pf_process *p)
{
	return p ? p->name : "";
}

pf_process *pf_process_find(const char *name)
{
	if (!name)
		return NULL;
	unsigned n = atomic_load(&ncreated);
	for (unsigned i = 0; i < n && i < ARENA_MAX_PROCESSES; i++) {
		struct pf_process *p = process_by_index(i);
		if (p && atomic_load(&p->state) != PROC_DEAD && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}
