/* Process records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proc/options.h"
#include "proc/process.h"
#include "proc/thread.h"

static struct pf_process *_Atomic table[LIMIT_PROCESSES];
static _Atomic unsigned ncreated;

struct pf_process *process_by_index(unsigned i)
{
	return i < LIMIT_PROCESSES ? atomic_load_explicit(&table[i], memory_order_acquire) : NULL;
}

bool process_is_alive(const struct pf_process *p)
{
	return p && atomic_load(&p->state) != PROC_DEAD;
}

bool process_crashed_last(const struct pf_process *p)
{
	int state = atomic_load(&p->state);
	return state == PROC_CRASHED || (atomic_load(&p->died_crashed) &&
					 (state == PROC_DEAD || state == PROC_STARTING));
}

static bool name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= LIMIT_PROCESS_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!(c == '_' || c == '-' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

int process_new(const char *name, const pf_process_options *opts,
		struct pf_process **out)
{
	if (!name_valid(name))
		return -EINVAL;
	pf_process_options o;
	int rc = process_options_read(&o, opts);
	if (rc)
		return rc;
	if (o.threads > LIMIT_PROCESS_THREADS)
		return -EINVAL;
	unsigned idx = atomic_fetch_add(&ncreated, 1);
	if (idx >= LIMIT_PROCESSES)
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
	pthread_mutex_init(&p->watch_lock, NULL);
	atomic_store(&p->state, PROC_STARTING);
	*out = p;
	return 0;
}

void process_publish(struct pf_process *p)
{
	atomic_store_explicit(&table[p->index], p, memory_order_release);
}

void process_tell_watchers(struct pf_process *p, int why)
{
	pthread_mutex_lock(&p->watch_lock);
	unsigned n = p->nwatchers;
	pthread_mutex_unlock(&p->watch_lock);
	for (unsigned i = 0; i < n; i++)
		p->watchers[i].fn(p, why, p->watchers[i].arg);
}

int pf_process_watch(pf_process *p, pf_death_fn fn, void *arg)
{
	if (!p || !fn)
		return -EINVAL;
	pthread_mutex_lock(&p->watch_lock);
	int rc = -ENOSPC;
	if (p->nwatchers < LIMIT_WATCHERS) {
		p->watchers[p->nwatchers].fn = fn;
		p->watchers[p->nwatchers].arg = arg;
		p->nwatchers++;
		rc = 0;
	}
	pthread_mutex_unlock(&p->watch_lock);
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
	for (unsigned i = 0; i < n && i < LIMIT_PROCESSES; i++) {
		struct pf_process *p = process_by_index(i);
		if (p && atomic_load(&p->state) != PROC_DEAD && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}
