/* The export namespace: qualified names ("fs.open") and who serves them.
 * Entries are never freed: an import keeps pointing at its entry while the
 * export is withdrawn and exported again (restart, lazy binding). */
#ifndef PF_REGISTRY_H
#define PF_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "pf_limits.h"
#include "pfipc.h"

struct pf_process;

/* An entry's flags beside the public PF_EXPORT_*: the name is a window
 * (ident/windows.h), whose accesses are served by its read, write and
 * update functions instead of a function called with a register image.
 * Never set by pf_export. */
#define EXPORT_WINDOW (1u << 16)

/* What one pf_export said. Immutable once published and never freed, so a
 * caller (or the fault handler) may keep using the one it read while the
 * name is exported again. */
struct export_def {
	void *fn;
	unsigned stack_bytes;
	/* Bytes of its arguments the function pops itself (i386: the hidden
	 * pointer of a struct result; 0 on x86-64), as the debug information
	 * says: what the caller of a failed call is given back popped. */
	unsigned callee_pops;
	unsigned flags;
	unsigned nbufs;
	pf_buffer_param bufs[PF_MAX_BUFFER_PARAMS];
	struct export_def *older;   /* the entry's earlier definitions */
};

struct export_entry {
	char name[LIMIT_EXPORT_NAME];
	/* The process serving the name now, or NULL (not yet exported, or
	 * withdrawn). Published after `def`, so a reader that sees an owner
	 * (acquire) sees that owner's definition or a later one. */
	struct pf_process *_Atomic owner;
	struct pf_process *_Atomic last_owner;  /* who served it last */
	const struct export_def *_Atomic def;   /* NULL until first exported */
	struct export_def *defs;                /* every definition (lock; in
						   shared memory) */
};

/* E's current definition; not NULL once E has had an owner. One atomic
 * load: async-signal-safe. */
static inline const struct export_def *registry_def(const struct export_entry *e)
{
	return atomic_load_explicit(&e->def, memory_order_acquire);
}

/* The table of names (pf_init, before anything forks). 0 or -ENOMEM. */
int registry_init(void);

/* E's place in the table, 0 .. LIMIT_EXPORT_NAMES - 1: other layers keep
 * their own per-export state in tables of that size. */
unsigned registry_index(const struct export_entry *e);

/* The entry at index I (made so far), or NULL: for walking every name. */
struct export_entry *registry_at(unsigned i);

/* "ns.fn" with both parts 1..63 of [A-Za-z0-9_]. */
bool registry_name_valid(const char *name);

/* P exports NAME (FN is NULL for an EXPORT_WINDOW entry), whose function
 * pops CALLEE_POPS bytes of its arguments itself. 0, or -EINVAL,
 * -EEXIST, -ENOSPC, -ENOMEM with a sentence in WHY (WHYCAP bytes) naming
 * what is wrong: for -EEXIST, the process that has the name or its
 * namespace. */
int registry_export(struct pf_process *p, const char *name, void *fn,
		    size_t stack_bytes, unsigned callee_pops, unsigned flags,
		    const pf_buffer_param *bufs, unsigned nbufs, char *why, size_t whycap);

/* The entry for NAME; with CREATE, an unbound one is made if none exists
 * (a lazy import). NULL if absent (or the table is full). */
struct export_entry *registry_lookup(const char *name, bool create);

/* Call VISIT for every name exported now (under the registry's lock:
 * VISIT must not call back into the registry). */
void registry_visit_exported(void (*visit)(const struct export_entry *e, void *arg), void *arg);

/* Withdraw every export of P (it stopped). */
void registry_withdraw(struct pf_process *p);

#endif
