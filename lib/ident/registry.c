/* Export names and namespaces. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "base/shared.h"
#include "arch.h"
#include "ident/registry.h"
#include "proc/process.h"

#define MAX_ENTRIES    LIMIT_EXPORT_NAMES
#define MAX_NAMESPACES LIMIT_NAMESPACES
#define PART_MAX       LIMIT_NAME_PART

struct namespace_owner {
	char name[PART_MAX + 1];
	struct pf_process *owner;
};

/* Writers hold `lock`; the call path reads entries' atomics without it.
 * In shared memory: an isolated process exports and binds names as the
 * program does. A writer killed with the lock held left at most one name
 * half made (an entry's fields are set before it is counted or owned). */
struct registry {
	pthread_mutex_t lock;
	_Atomic unsigned nentries;
	unsigned nnamespaces;
	struct export_entry entries[MAX_ENTRIES];
	struct namespace_owner namespaces[MAX_NAMESPACES];
};

static struct registry *reg;

int registry_init(void)
{
	if (!(reg = shared_alloc(sizeof *reg)))
		return -ENOMEM;
	shared_lock_init(&reg->lock);
	return 0;
}

unsigned registry_index(const struct export_entry *e)
{
	return (unsigned)(e - reg->entries);
}

struct export_entry *registry_at(unsigned i)
{
	return i < atomic_load(&reg->nentries) ? &reg->entries[i] : NULL;
}

static bool part_valid(const char *s, size_t n)
{
	if (n == 0 || n > PART_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

bool registry_name_valid(const char *name)
{
	if (!name)
		return false;
	const char *dot = strchr(name, '.');
	return dot && part_valid(name, (size_t)(dot - name)) &&
	       part_valid(dot + 1, strlen(dot + 1));
}

static struct export_entry *find_locked(const char *name)
{
	for (unsigned i = 0; i < reg->nentries; i++)
		if (strcmp(reg->entries[i].name, name) == 0)
			return &reg->entries[i];
	return NULL;
}

static struct export_entry *create_locked(const char *name)
{
	if (reg->nentries == MAX_ENTRIES)
		return NULL;
	struct export_entry *e = &reg->entries[reg->nentries];
	strcpy(e->name, name);
	reg->nentries++;
	return e;
}

/* The namespace of NAME belongs to P, or to nobody alive: claim it. Else
 * -EEXIST, and *HOLDER is the process it belongs to. */
static int claim_namespace_locked(struct pf_process *p, const char *name,
				  struct pf_process **holder)
{
	size_t n = (size_t)(strchr(name, '.') - name);
	for (unsigned i = 0; i < reg->nnamespaces; i++) {
		struct namespace_owner *ns = &reg->namespaces[i];
		if (strlen(ns->name) != n || memcmp(ns->name, name, n) != 0)
			continue;
		if (ns->owner != p && process_is_alive(ns->owner)) {
			*holder = ns->owner;
			return -EEXIST;
		}
		ns->owner = p;
		return 0;
	}
	if (reg->nnamespaces == MAX_NAMESPACES)
		return -ENOSPC;
	memcpy(reg->namespaces[reg->nnamespaces].name, name, n);
	reg->namespaces[reg->nnamespaces].name[n] = '\0';
	reg->namespaces[reg->nnamespaces++].owner = p;
	return 0;
}

static bool bufs_valid(const pf_buffer_param *bufs, unsigned nbufs,
		       size_t stack_bytes)
{
	if (nbufs > PF_MAX_BUFFER_PARAMS || (nbufs && !bufs))
		return false;
	unsigned limit = PF_ARG_STACK(stack_bytes / ARCH_WORD);
	for (unsigned i = 0; i < nbufs; i++) {
		const pf_buffer_param *b = &bufs[i];
		if (b->ptr_arg >= limit || b->len_arg >= limit ||
		    b->ptr_arg == b->len_arg || b->dir < PF_BUF_IN ||
		    b->dir > PF_BUF_INOUT ||
		    (b->len_size != 0 && b->len_size != 4 && b->len_size != 8))
			return false;
	}
	return true;
}

/* Why FLAGS, STACK_BYTES or the buffer description cannot be taken: a
 * sentence in WHY, or false when they can. */
static bool bad_export(const char *name, void *fn, size_t stack_bytes, unsigned flags,
		       const pf_buffer_param *bufs, unsigned nbufs, char *why, size_t cap)
{
	const unsigned known = PF_EXPORT_REENTRANT | PF_EXPORT_MIGRATE |
			       PF_EXPORT_PRIVATE | EXPORT_WINDOW;
	if (!name || !registry_name_valid(name) || strlen(name) >= LIMIT_EXPORT_NAME)
		snprintf(why, cap, "pf_export: \"%s\" is not a name \"namespace.function\" "
			 "(each part 1 to %u of [A-Za-z0-9_])", name ? name : "(null)",
			 LIMIT_NAME_PART);
	else if (!fn && !(flags & EXPORT_WINDOW))
		snprintf(why, cap, "pf_export: %s: the function is NULL", name);
	else if (flags & ~known)
		snprintf(why, cap, "pf_export: %s: flags %#x: known are PF_EXPORT_REENTRANT, "
			 "PF_EXPORT_MIGRATE, PF_EXPORT_PRIVATE, PF_EXPORT_STACK_AS_DECLARED",
			 name, flags);
	else if (stack_bytes % ARCH_WORD || stack_bytes > PF_MAX_STACK_BYTES)
		snprintf(why, cap, "pf_export: %s: %zu stack bytes: a multiple of %u up to %u",
			 name, stack_bytes, ARCH_WORD, PF_MAX_STACK_BYTES);
	else if (!bufs_valid(bufs, nbufs, stack_bytes))
		snprintf(why, cap, "pf_export: %s: the buffer description is not valid (at most "
			 "%u, each naming two different arguments within the stack bytes, a "
			 "direction and a length of 4 or 8 bytes)", name, PF_MAX_BUFFER_PARAMS);
	else
		return false;
	return true;
}

static bool def_same(const struct export_def *a, const struct export_def *b)
{
	if (a->fn != b->fn || a->stack_bytes != b->stack_bytes ||
	    a->callee_pops != b->callee_pops ||
	    a->flags != b->flags || a->nbufs != b->nbufs)
		return false;
	for (unsigned i = 0; i < a->nbufs; i++) {
		const pf_buffer_param *x = &a->bufs[i], *y = &b->bufs[i];
		if (x->ptr_arg != y->ptr_arg || x->len_arg != y->len_arg ||
		    x->dir != y->dir || x->len_size != y->len_size ||
		    x->max_len != y->max_len)
			return false;
	}
	return true;
}

/* The record for WANT: one E had before, or a new one. Records are never
 * freed, because a caller that read one before a re-export may still be
 * using it and nothing tells us when it stops; reusing an identical one
 * keeps a process that restarts and exports the same again from growing
 * the list, so memory grows only with the distinct definitions a name
 * ever had. In shared memory, where an isolated process reads them too. */
static const struct export_def *def_record_locked(struct export_entry *e,
						  const struct export_def *want)
{
	for (struct export_def *d = e->defs; d; d = d->older)
		if (def_same(d, want))
			return d;
	struct export_def *d = shared_alloc(sizeof *d);
	if (!d)
		return NULL;
	*d = *want;
	d->older = e->defs;
	e->defs = d;
	return d;
}

int registry_export(struct pf_process *p, const char *name, void *fn,
		    size_t stack_bytes, unsigned callee_pops, unsigned flags,
		    const pf_buffer_param *bufs, unsigned nbufs, char *why, size_t whycap)
{
	if (!p || bad_export(name, fn, stack_bytes, flags, bufs, nbufs, why, whycap))
		return -EINVAL;
	struct export_def want = { .fn = fn, .stack_bytes = (unsigned)stack_bytes,
				   .callee_pops = callee_pops, .flags = flags,
				   .nbufs = nbufs };
	if (nbufs)
		memcpy(want.bufs, bufs, nbufs * sizeof *bufs);
	shared_lock(&reg->lock);
	struct pf_process *holder = NULL;
	int rc = claim_namespace_locked(p, name, &holder);
	struct export_entry *e = rc ? NULL : find_locked(name);
	if (!rc && e && (holder = atomic_load(&e->owner)))
		rc = -EEXIST;   /* by another process, or twice by this one */
	if (!rc && !e && !(e = create_locked(name)))
		rc = -ENOSPC;
	const struct export_def *def = rc ? NULL : def_record_locked(e, &want);
	if (!rc && !def)
		rc = -ENOMEM;
	if (!rc) {
		atomic_store_explicit(&e->def, def, memory_order_release);
		atomic_store(&e->last_owner, p);
		atomic_store_explicit(&e->owner, p, memory_order_release);
	}
	shared_unlock(&reg->lock);
	if (rc == -EEXIST && e)
		snprintf(why, whycap, "pf_export: \"%s\" is exported already, by process %s%s",
			 name, holder->name, holder == p ? " (this one)" : "");
	else if (rc == -EEXIST)
		snprintf(why, whycap, "pf_export: the namespace of \"%s\" belongs to process %s",
			 name, holder->name);
	else if (rc == -ENOSPC)
		snprintf(why, whycap, "pf_export: %u export names exist already", LIMIT_EXPORT_NAMES);
	else if (rc == -ENOMEM)
		snprintf(why, whycap, "pf_export: %s: no memory for its definition", name);
	return rc;
}

struct export_entry *registry_lookup(const char *name, bool create)
{
	shared_lock(&reg->lock);
	struct export_entry *e = find_locked(name);
	if (!e && create)
		e = create_locked(name);
	shared_unlock(&reg->lock);
	return e;
}

void registry_withdraw(struct pf_process *p)
{
	shared_lock(&reg->lock);
	for (unsigned i = 0; i < reg->nentries; i++) {
		struct pf_process *cur = p;
		atomic_compare_exchange_strong(&reg->entries[i].owner, &cur, NULL);
	}
	shared_unlock(&reg->lock);
}

void registry_visit_exported(void (*visit)(const struct export_entry *e, void *arg), void *arg)
{
	shared_lock(&reg->lock);
	for (unsigned i = 0; i < reg->nentries; i++)
		if (atomic_load(&reg->entries[i].owner))
			visit(&reg->entries[i], arg);
	shared_unlock(&reg->lock);
}
