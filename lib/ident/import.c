/* Import tables and the pf_import_* API. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/shared.h"
#include "ident/grants.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "ident/suggest.h"
#include "proc/process.h"
#include "proc/thread.h"

struct import_table {
	pthread_mutex_t lock;         /* writers; the handler only reads */
	struct pf_import imports[LIMIT_IMPORTS];
};

/* In shared memory, as the process record: a call's callee and the
 * program's clean-up read the import a call was made through. */
int import_table_create(struct pf_process *p)
{
	struct import_table *tb = shared_alloc(sizeof *tb);
	if (!tb)
		return -ENOMEM;
	shared_lock_init(&tb->lock);
	p->imports = tb;
	return 0;
}

void import_table_reset(struct pf_process *p)
{
	struct import_table *tb = p->imports;
	shared_lock(&tb->lock);
	for (unsigned i = 0; i < LIMIT_IMPORTS; i++)
		atomic_store(&tb->imports[i].in_use, false);
	shared_unlock(&tb->lock);
}

struct pf_import *import_at(const struct pf_process *p, unsigned slot)
{
	if (!p || !p->imports || slot >= LIMIT_IMPORTS)
		return NULL;
	struct pf_import *imp = &p->imports->imports[slot];
	return atomic_load_explicit(&imp->in_use, memory_order_acquire) ? imp : NULL;
}

/* Why NAME cannot be imported by T: -ENOENT with the closest names. */
static int not_exported(struct pf_thread *t, const char *name)
{
	char near[3 * LIMIT_EXPORT_NAME + 16];
	suggest_names(name, near, sizeof near);
	return error_set(&t->error, -ENOENT, "pf_import_create: nobody exports \"%s\"%s%s%s", name,
			 near[0] ? " (did you mean " : "", near, near[0] ? "?)" : "");
}

static int import_checked(struct pf_thread *t, pf_import **out, const char *name, unsigned flags)
{
	const unsigned known = PF_IMPORT_LAZY | PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY;
	if (!out || !name)
		return error_set(&t->error, -EINVAL, "pf_import_create: %s is NULL",
				 out ? "the name" : "the place for the import");
	if (!registry_name_valid(name) || strlen(name) >= LIMIT_EXPORT_NAME)
		return error_set(&t->error, -EINVAL, "pf_import_create: \"%s\" is not a name "
				 "\"namespace.function\" (each part 1 to %u of [A-Za-z0-9_])",
				 name, LIMIT_NAME_PART);
	if ((flags & ~known) || ((flags & PF_IMPORT_ASYNC) && (flags & PF_IMPORT_ONEWAY)))
		return error_set(&t->error, -EINVAL, "pf_import_create: flags %#x: known are "
				 "PF_IMPORT_LAZY, PF_IMPORT_ASYNC, PF_IMPORT_ONEWAY (not the last two "
				 "together)", flags);
	struct pf_process *p = t->self;
	struct export_entry *e = registry_lookup(name, flags & PF_IMPORT_LAZY);
	if (!e && (flags & PF_IMPORT_LAZY))
		return error_set(&t->error, -ENOSPC, "pf_import_create: %u export names exist "
				 "already", LIMIT_EXPORT_NAMES);
	if (!e || (!(flags & PF_IMPORT_LAZY) && !atomic_load(&e->owner)))
		return not_exported(t, name);
	const struct export_def *d = registry_def(e);   /* NULL: never exported */
	if (d && (d->flags & EXPORT_WINDOW))
		return error_set(&t->error, -ENOENT, "pf_import_create: \"%s\" is a window: it "
				 "is mapped (pf_window_map), not called", name);
	/* A lazy import of a name nobody exports yet is checked at its call. */
	struct pf_process *exporter = atomic_load(&e->owner);
	if (exporter && !grants_allowed(e, exporter, p))
		return error_set(&t->error, -EPERM, "pf_import_create: \"%s\" is a private export "
				 "of process %s, which granted it to no process %s", name,
				 exporter->name, p->name);

	struct import_table *tb = p->imports;
	shared_lock(&tb->lock);
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
	shared_unlock(&tb->lock);
	if (rc)
		return error_set(&t->error, rc, "pf_import_create: process %s has %u imports "
				 "already", p->name, LIMIT_IMPORTS);
	error_clear(&t->error);
	return 0;
}

int pf_import_create(pf_import **out, const char *name, unsigned flags)
{
	/* A thread in no process has nowhere to keep a message. */
	struct pf_thread *t = pf_current;
	return t ? import_checked(t, out, name, flags) : -EINVAL;
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
