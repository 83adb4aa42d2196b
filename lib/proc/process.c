/* Process records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/shared.h"
#include "proc/options.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"

/* In shared memory: an isolated process finds every record, and makes
 * new ones, as the program does. */
struct process_table {
	_Atomic unsigned ncreated;
	struct pf_process *_Atomic slot[LIMIT_PROCESSES];
};

static struct process_table *table;

int process_table_init(void)
{
	return (table = shared_alloc(sizeof *table)) ? 0 : -ENOMEM;
}

struct pf_process *process_by_index(unsigned i)
{
	return table && i < LIMIT_PROCESSES
		       ? atomic_load_explicit(&table->slot[i], memory_order_acquire) : NULL;
}

unsigned process_count(void)
{
	if (!table)
		return 0;
	unsigned n = atomic_load(&table->ncreated);
	return n < LIMIT_PROCESSES ? n : LIMIT_PROCESSES;
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
	unsigned idx = atomic_fetch_add(&table->ncreated, 1);
	if (idx >= LIMIT_PROCESSES)
		return -ENOSPC;
	struct pf_process *p = shared_alloc(sizeof *p);
	if (!p)
		return -ENOMEM;
	strcpy(p->name, name);
	p->index = idx;
	p->opts = o;
	if (p->opts.threads == 0)
		p->opts.threads = 1;
	if (p->opts.bind_timeout_ns == 0)
		p->opts.bind_timeout_ns = 1000000000;
	shared_lock_init(&p->watch_lock);
	shared_lock_init(&p->space_lock);
	atomic_store(&p->os_pid, space_self_pid());
	atomic_store(&p->state, PROC_STARTING);
	*out = p;
	return 0;
}

void process_publish(struct pf_process *p)
{
	atomic_store_explicit(&table->slot[p->index], p, memory_order_release);
}

void process_tell_watchers(struct pf_process *p, int why)
{
	shared_lock(&p->watch_lock);
	unsigned n = p->nwatchers;
	shared_unlock(&p->watch_lock);
	for (unsigned i = 0; i < n; i++)
		p->watchers[i].fn(p, why, p->watchers[i].arg);
}

int pf_process_watch(pf_process *p, pf_death_fn fn, void *arg)
{
	if (!p || !fn)
		return -EINVAL;
	/* FN and ARG mean something in the program's memory only, where
	 * every death is told (an isolated process's copy is not). */
	if (space_isolated_self())
		return -EOPNOTSUPP;
	shared_lock(&p->watch_lock);
	int rc = -ENOSPC;
	if (p->nwatchers < LIMIT_WATCHERS) {
		p->watchers[p->nwatchers].fn = fn;
		p->watchers[p->nwatchers].arg = arg;
		p->nwatchers++;
		rc = 0;
	}
	shared_unlock(&p->watch_lock);
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
	unsigned n = process_count();
	for (unsigned i = 0; i < n; i++) {
		struct pf_process *p = process_by_index(i);
		if (p && atomic_load(&p->state) != PROC_DEAD && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}
