/* Window records and mappings (see windows.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "ident/grants.h"
#include "ident/registry.h"
#include "ident/windows.h"
#include "proc/process.h"
#include "proc/space.h"

struct process_windows {
	struct window_map memory[LIMIT_WINDOW_MAPS];
	struct window_map ports[LIMIT_PORT_MAPS];
};

/* Writers take `lock`; the fault handler and the serving path read.
 *
 * A record is never written once published: a process that restarts
 * offers its windows again while other threads' accesses (in the fault
 * handler, without a lock) still read the old record. An offer that
 * changes nothing keeps the record; one that does publishes a new one,
 * and the old one stays allocated (linked from the new one), since a
 * handler may be reading it. */
typedef struct window *_Atomic window_ref;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static window_ref *_Atomic records;                           /* by registry index */
static struct process_windows *_Atomic by_process[LIMIT_PROCESSES];

const struct window *window_of(const struct export_entry *e)
{
	window_ref *all = atomic_load_explicit(&records, memory_order_acquire);
	if (!all || !e)
		return NULL;
	return atomic_load_explicit(&all[registry_index(e)], memory_order_acquire);
}

static bool same_record(const struct window *a, const struct window *b)
{
	return a->kind == b->kind && atomic_load(&a->size) == atomic_load(&b->size) &&
	       a->first_port == b->first_port && a->ops.read == b->ops.read &&
	       a->ops.write == b->ops.write && a->ops.update == b->ops.update && a->ctx == b->ctx;
}

/* The record for W at E's index: the one there if it is the same, else a
 * new one, published. NULL without memory. Lock held. */
static struct window *record_for(window_ref *all, const struct export_entry *e,
				 const struct window *w)
{
	window_ref *ref = &all[registry_index(e)];
	struct window *r = atomic_load_explicit(ref, memory_order_relaxed);
	if (r && same_record(r, w))
		return r;
	if (!(r = calloc(1, sizeof *r)))
		return NULL;
	r->kind = w->kind;
	atomic_init(&r->size, atomic_load(&w->size));
	r->first_port = w->first_port;
	r->ops = w->ops;
	r->ctx = w->ctx;
	r->replaced = atomic_load_explicit(ref, memory_order_relaxed);
	atomic_store_explicit(ref, r, memory_order_release);
	return r;
}

int windows_offer(struct pf_process *p, const char *name, const struct window *w,
		  unsigned flags, char *why, size_t whycap)
{
	pthread_mutex_lock(&lock);
	int rc = 0;
	window_ref *all = atomic_load(&records);
	if (!all) {
		if (!(all = calloc(LIMIT_EXPORT_NAMES, sizeof *all)))
			rc = -ENOMEM;
		else
			atomic_store_explicit(&records, all, memory_order_release);
	}
	/* An entry nobody serves now is free for the window (a lazy import
	 * of a function by that name finds out at its next call). */
	struct export_entry *e = rc ? NULL : registry_lookup(name, true);
	struct pf_process *holder = e ? atomic_load(&e->owner) : NULL;
	if (rc)
		snprintf(why, whycap, "no memory for the window records");
	else if (!e)
		snprintf(why, whycap, "%u export names exist already", LIMIT_EXPORT_NAMES);
	else if (holder)
		snprintf(why, whycap, "\"%s\" is exported already, by process %s%s", name,
			 holder->name, holder == p ? " (this one)" : "");
	rc = rc ? rc : !e ? -ENOSPC : holder ? -EEXIST : 0;
	if (!rc && !record_for(all, e, w)) {
		snprintf(why, whycap, "no memory for the window record");
		rc = -ENOMEM;
	}
	if (!rc)
		rc = registry_export(p, name, NULL, 0, 0, flags | EXPORT_WINDOW, NULL, 0, why, whycap);
	pthread_mutex_unlock(&lock);
	return rc;
}

/* The window NAME of KIND that P may map now, or an error and why. */
static int find(struct pf_process *p, const char *name, enum window_kind kind,
		struct export_entry **out, const struct window **w, char *why, size_t whycap)
{
	const char *what = kind == WINDOW_MEMORY ? "window" : "port range";
	struct export_entry *e = registry_lookup(name, false);
	struct pf_process *owner = e ? atomic_load_explicit(&e->owner, memory_order_acquire) : NULL;
	/* A window's record and its accesses' step live in the memory of
	 * the OS process that offered or maps it: windows do not cross an
	 * isolated process's boundary. */
	bool window = owner && (registry_def(e)->flags & EXPORT_WINDOW);
	if (window && !space_is_local(owner)) {
		snprintf(why, whycap, "%s \"%s\" is offered by process %s, which runs in another "
			 "OS process (windows do not cross an isolated process's boundary)",
			 what, name, owner->name);
		return -EOPNOTSUPP;
	}
	if (!window || !(*w = window_of(e)) || (*w)->kind != kind) {
		snprintf(why, whycap, "no process offers a %s \"%s\"%s", what, name,
			 owner ? (window ? " (it is another kind of window)"
							   : " (a function of that name is exported)")
			       : "");
		return -ENOENT;
	}
	if (!grants_allowed(e, owner, p)) {
		snprintf(why, whycap, "\"%s\" is a private %s of process %s, which granted it to "
			 "no process %s", name, what, owner->name, p->name);
		return -EPERM;
	}
	*out = e;
	return 0;
}

/* P's table, made at its first mapping. Lock held. */
static struct process_windows *table_of(struct pf_process *p)
{
	struct process_windows *pw = atomic_load(&by_process[p->index]);
	if (!pw && (pw = calloc(1, sizeof *pw)) != NULL)
		atomic_store_explicit(&by_process[p->index], pw, memory_order_release);
	return pw;
}

static void fill(struct window_map *m, struct pf_process *p, struct export_entry *e,
		 unsigned slot, unsigned flags)
{
	struct pf_import *imps[2] = { &m->imp, &m->posted };
	for (unsigned i = 0; i < 2; i++) {
		struct pf_import *imp = imps[i];
		memset(imp, 0, sizeof *imp);
		imp->owner = p;
		imp->slot = slot;
		imp->flags = IMPORT_WINDOW | (i ? PF_IMPORT_ONEWAY : 0);
		imp->entry = e;
		atomic_store(&imp->timeout_ns, 0);
		atomic_store(&imp->in_use, true);
	}
	m->posted_writes = flags & PF_WINDOW_POSTED;
}

int windows_map(struct pf_process *p, const char *name, unsigned flags, unsigned *slot,
		char *why, size_t whycap)
{
	struct export_entry *e;
	const struct window *w;
	int rc = find(p, name, WINDOW_MEMORY, &e, &w, why, whycap);
	if (rc)
		return rc;
	pthread_mutex_lock(&lock);
	struct process_windows *pw = table_of(p);
	rc = pw ? -ENOSPC : -ENOMEM;
	for (unsigned i = 0; pw && i < LIMIT_WINDOW_MAPS; i++) {
		struct window_map *m = &pw->memory[i];
		if (atomic_load(&m->in_use))
			continue;
		fill(m, p, e, i, flags);
		m->base = arena_window(p->index, i);
		atomic_store_explicit(&m->in_use, true, memory_order_release);
		*slot = i;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&lock);
	if (rc)
		snprintf(why, whycap, rc == -ENOSPC ? "process %s has %u windows mapped"
						    : "no memory for process %s's mappings",
			 p->name, LIMIT_WINDOW_MAPS);
	return rc;
}

int windows_unmap(struct pf_process *p, unsigned slot)
{
	struct process_windows *pw = atomic_load(&by_process[p->index]);
	if (!pw || slot >= LIMIT_WINDOW_MAPS)
		return -EINVAL;
	bool mapped = true;
	return atomic_compare_exchange_strong(&pw->memory[slot].in_use, &mapped, false) ? 0 : -EINVAL;
}

struct window_map *window_map_at(unsigned process, unsigned slot)
{
	if (process >= LIMIT_PROCESSES || slot >= LIMIT_WINDOW_MAPS)
		return NULL;
	struct process_windows *pw = atomic_load_explicit(&by_process[process], memory_order_acquire);
	if (!pw)
		return NULL;
	struct window_map *m = &pw->memory[slot];
	return atomic_load_explicit(&m->in_use, memory_order_acquire) ? m : NULL;
}

static bool overlaps(const struct window_map *m, uint32_t first, uint32_t count)
{
	return first < m->first + m->count && m->first < first + count;
}

int ports_map(struct pf_process *p, const char *name, unsigned flags, char *why,
	      size_t whycap)
{
	struct export_entry *e;
	const struct window *w;
	int rc = find(p, name, WINDOW_PORTS, &e, &w, why, whycap);
	if (rc)
		return rc;
	uint32_t first = w->first_port, count = (uint32_t)atomic_load(&w->size);
	pthread_mutex_lock(&lock);
	struct process_windows *pw = table_of(p);
	struct window_map *free_map = NULL;
	rc = pw ? 0 : -ENOMEM;
	if (!pw)
		snprintf(why, whycap, "no memory for process %s's mappings", p->name);
	for (unsigned i = 0; pw && i < LIMIT_PORT_MAPS; i++) {
		struct window_map *m = &pw->ports[i];
		if (!atomic_load(&m->in_use)) {
			free_map = free_map ? free_map : m;
		} else if (overlaps(m, first, count) && !rc) {
			rc = -EBUSY;
			snprintf(why, whycap, "ports %#x-%#x of \"%s\" overlap \"%s\", which process "
				 "%s mapped already", first, first + count - 1, name,
				 m->imp.entry->name, p->name);
		}
	}
	if (!rc && !free_map) {
		rc = -ENOSPC;
		snprintf(why, whycap, "process %s has %u port ranges mapped", p->name,
			 LIMIT_PORT_MAPS);
	}
	if (!rc) {
		fill(free_map, p, e, (unsigned)(free_map - pw->ports), flags);
		free_map->first = first;
		free_map->count = count;
		atomic_store_explicit(&free_map->in_use, true, memory_order_release);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int ports_unmap(struct pf_process *p, const char *name)
{
	struct process_windows *pw = atomic_load(&by_process[p->index]);
	int rc = -ENOENT;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; pw && i < LIMIT_PORT_MAPS; i++) {
		struct window_map *m = &pw->ports[i];
		if (atomic_load(&m->in_use) && strcmp(m->imp.entry->name, name) == 0) {
			atomic_store(&m->in_use, false);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

struct window_map *port_map_find(unsigned process, unsigned port, unsigned width,
				 bool *partly)
{
	*partly = false;
	struct process_windows *pw = process < LIMIT_PROCESSES
		? atomic_load_explicit(&by_process[process], memory_order_acquire) : NULL;
	for (unsigned i = 0; pw && i < LIMIT_PORT_MAPS; i++) {
		struct window_map *m = &pw->ports[i];
		if (!atomic_load_explicit(&m->in_use, memory_order_acquire) ||
		    !overlaps(m, port, width))
			continue;
		if (port >= m->first && port + width <= m->first + m->count)
			return m;
		*partly = true;
	}
	return NULL;
}

void windows_process_exit(struct pf_process *p)
{
	struct process_windows *pw = atomic_load(&by_process[p->index]);
	if (!pw)
		return;
	for (unsigned i = 0; i < LIMIT_WINDOW_MAPS; i++)
		atomic_store(&pw->memory[i].in_use, false);
	for (unsigned i = 0; i < LIMIT_PORT_MAPS; i++)
		atomic_store(&pw->ports[i].in_use, false);
}
