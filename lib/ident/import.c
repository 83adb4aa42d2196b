/* Import tables and the pf_import_* API. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "ident/grants.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/thread.h"

struct import_table {
	pthread_mutex_t lock;         /* writers; the handler only reads */
	struct pf_import imports[LIMIT_IMPORTS];
};

int import_table_create(struct pf_process *p)
{
	struct import_table *tb = calloc(1, sizeof *tb);
	if (!tb)
		return -ENOMEM;
	pthread_mutex_init(&tb->lock, NULL);
	p->imports = tb;
	return 0;
}

struct pf_import *import_at(const struct pf_process *p, unsigned slot)
{
	if (!p || !p->imports || slot >= LIMIT_IMPORTS)
		return NULL;
	struct pf_import *imp = &p->imports->imports[slot];
	return atomic_load_explicit(&imp->in_use, memory_order_acquire) ? imp : NULL;
}

int pf_import_create(pf_import **out, const char *name, unsigned flags)
{
	struct pf_thread *t = pf_current;
	if (!out || !t || !registry_name_valid(name) ||
	    strlen(name) >= LIMIT_EXPORT_NAME || (flags & ~(PF_IMPORT_LAZY | PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY)) ||
	    ((flags & PF_IMPORT_ASYNC) && (flags & PF_IMPORT_ONEWAY)))
		return -EINVAL;
	struct pf_process *p = t->self;
	struct export_entry *e = registry_lookup(name, flags & PF_IMPORT_LAZY);
	if (!e)
		return (flags & PF_IMPORT_LAZY) ? -ENOSPC : -ENOENT;
	if (!(flags & PF_IMPORT_LAZY) && !atomic_load(&e->owner))
		return -ENOENT;
	/* A lazy import of a name nobody exports yet is checked at its call. */
	struct pf_process *exporter = atomic_load(&e->owner);
	if (exporter && !grants_allowed(e, exporter, p))
		return -EPERM;

	struct import_table *tb = p->imports;
	pthread_mutex_lock(&tb->lock);
	int rc = -ENOSPC;
	for (unsigned i = 0; i < LIMIT_IMPORTS; i++) {
		struct pf_import *imp = &tb->imports[i];
		if (atomic_load(&imp->in_use))
			continue;
		imp->owner = p;
		imp->slot = i;
		imp->flags = flags;
		atomic_store(&imp->timeout_ns, 0);
		imp->entry = e;
		imp->gate = arena_gate(p->index, i);
		imp->slot_addr = arena_slot(p->index, i);
		atomic_store_explicit(&imp->in_use, true, memory_order_release);
		*out = imp;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&tb->lock);
	return rc;
}

void *pf_import_gate(const pf_import *imp)
{
	return imp ? (void *)imp->gate : NULL;
}

void *const *pf_import_slot(const pf_import *imp)
{
	return imp ? (void *const *)imp->slot_addr : NULL;
}

const char *pf_import_name(const pf_import *imp)
{
	return imp ? imp->entry->name : "";
}

int pf_import_set_timeout(pf_import *imp, int64_t ns)
{
	if (!imp || ns < 0)
		return -EINVAL;
	atomic_store(&imp->timeout_ns, ns);
	return 0;
}
