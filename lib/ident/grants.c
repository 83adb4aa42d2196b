/* Grants on private exports.
 *
 * A grant says: HOLDER may import and call ENTRY while EXPORTER serves it.
 * It names the exporter so that a grant cannot leak to whatever process
 * exports the same name later. It also names the GRANTER — the exporter,
 * or the holder that delegated it — because revocation follows the chain
 * the way capability systems (L4, seL4) revoke derived capabilities:
 * revoking a holder's grant also revokes every grant it delegated.
 *
 * Who may do what:
 *   pf_grant     the exporter; PF_GRANT_DELEGATE lets the holder delegate
 *   pf_delegate  a holder whose grant has PF_GRANT_DELEGATE (or the
 *                exporter); the new grant cannot be delegated further
 *   pf_revoke    the exporter, or the process that granted that grant
 *
 * The table is small and read on every call to a private export only:
 * one array under one lock, in shared memory (an isolated exporter grants
 * and checks as the program does). The lock is a robust mutex rather than
 * a read-write lock, which cannot be robust: a holder killed with it held
 * left the array as it was between two whole-entry stores. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "base/shared.h"
#include "ident/grants.h"
#include "proc/process.h"
#include "ident/registry.h"
#include "proc/thread.h"

struct grant {
	const struct export_entry *entry;
	const struct pf_process *exporter;
	const struct pf_process *holder;
	const struct pf_process *granter;
	unsigned flags;                     /* PF_GRANT_* */
};

struct grant_table {
	pthread_mutex_t lock;
	struct grant *grants;
	unsigned ngrants, cap;
};

static struct grant_table *gt;

int grants_init(void)
{
	if (!(gt = shared_alloc(sizeof *gt)))
		return -ENOMEM;
	shared_lock_init(&gt->lock);
	return 0;
}

static int find_locked(const struct export_entry *e, const struct pf_process *exporter,
		       const struct pf_process *holder)
{
	for (unsigned i = 0; i < gt->ngrants; i++)
		if (gt->grants[i].entry == e && gt->grants[i].exporter == exporter &&
		    gt->grants[i].holder == holder)
			return (int)i;
	return -1;
}

static int add_locked(struct grant g)
{
	if (gt->ngrants == gt->cap) {
		unsigned ncap = gt->cap ? gt->cap * 2 : 16;
		struct grant *n = shared_realloc(gt->grants, ncap * sizeof *n);
		if (!n)
			return -ENOMEM;
		gt->grants = n;
		gt->cap = ncap;
	}
	gt->grants[gt->ngrants++] = g;
	return 0;
}

static void remove_at_locked(unsigned i)
{
	gt->grants[i] = gt->grants[--gt->ngrants];
}

/* Remove HOLDER's grant on (E, EXPORTER) and, recursively, the grants it
 * delegated. Each step removes one grant, so it ends. */
static void revoke_chain_locked(const struct export_entry *e,
				const struct pf_process *exporter,
				const struct pf_process *holder)
{
	int i = find_locked(e, exporter, holder);
	if (i < 0)
		return;
	remove_at_locked((unsigned)i);
	for (unsigned j = 0; j < gt->ngrants;) {
		if (gt->grants[j].entry == e && gt->grants[j].exporter == exporter &&
		    gt->grants[j].granter == holder) {
			revoke_chain_locked(e, exporter, gt->grants[j].holder);
			j = 0;   /* the array changed under us */
		} else {
			j++;
		}
	}
}

bool grants_allowed(const struct export_entry *e, const struct pf_process *exporter,
		    const struct pf_process *p)
{
	if (!(registry_def(e)->flags & PF_EXPORT_PRIVATE) || p == exporter)
		return true;
	if (!exporter)
		return false;
	shared_lock(&gt->lock);
	bool ok = find_locked(e, exporter, p) >= 0;
	shared_unlock(&gt->lock);
	return ok;
}

/* The calling process and NAME's entry and exporter: -EINVAL for a bad
 * argument or a thread in no process, -ENOENT if nobody exports NAME now,
 * -EINVAL if the export is not private (a grant would mean nothing). */
static int resolve(const char *name, const struct pf_process *to,
		   struct pf_process **self, struct export_entry **e,
		   struct pf_process **exporter)
{
	struct pf_thread *t = pf_current;
	if (!t || !t->self || !to || !registry_name_valid(name))
		return -EINVAL;
	*self = t->self;
	if (!(*e = registry_lookup(name, false)) ||
	    !(*exporter = atomic_load_explicit(&(*e)->owner, memory_order_acquire)))
		return -ENOENT;
	return (registry_def(*e)->flags & PF_EXPORT_PRIVATE) ? 0 : -EINVAL;
}

int pf_grant(const char *name, pf_process *to, unsigned flags)
{
	struct pf_process *self, *exporter;
	struct export_entry *e;
	int rc = resolve(name, to, &self, &e, &exporter);
	if (rc)
		return rc;
	if (flags & ~PF_GRANT_DELEGATE)
		return -EINVAL;
	if (exporter != self)
		return -EPERM;
	if (to == self)
		return 0;   /* an exporter may always use its own export */
	shared_lock(&gt->lock);
	if (!process_is_alive(to)) {
		rc = -ESRCH;   /* under the lock: grants_release runs after death */
	} else {
		int i = find_locked(e, exporter, to);
		struct grant g = { e, exporter, to, self, flags };
		if (i >= 0)
			gt->grants[i] = g;   /* a direct grant replaces a delegated one */
		else
			rc = add_locked(g);
	}
	shared_unlock(&gt->lock);
	return rc;
}

int pf_delegate(const char *name, pf_process *to)
{
	struct pf_process *self, *exporter;
	struct export_entry *e;
	int rc = resolve(name, to, &self, &e, &exporter);
	if (rc)
		return rc;
	if (self == exporter)
		return pf_grant(name, to, 0);
	shared_lock(&gt->lock);
	int mine = find_locked(e, exporter, self);
	if (mine < 0 || !(gt->grants[mine].flags & PF_GRANT_DELEGATE))
		rc = -EPERM;
	else if (!process_is_alive(to))
		rc = -ESRCH;
	else if (to != exporter && find_locked(e, exporter, to) < 0)
		rc = add_locked((struct grant){ e, exporter, to, self, 0 });
	/* A process that already holds a grant keeps the one it has. */
	shared_unlock(&gt->lock);
	return rc;
}

int pf_revoke(const char *name, pf_process *from)
{
	struct pf_process *self, *exporter;
	struct export_entry *e;
	int rc = resolve(name, from, &self, &e, &exporter);
	if (rc)
		return rc;
	shared_lock(&gt->lock);
	int i = find_locked(e, exporter, from);
	if (i < 0)
		rc = -ENOENT;
	else if (self != exporter && gt->grants[i].granter != self)
		rc = -EPERM;
	else
		revoke_chain_locked(e, exporter, from);
	shared_unlock(&gt->lock);
	return rc;
}

void grants_release(struct pf_process *p)
{
	shared_lock(&gt->lock);
	for (unsigned i = 0; i < gt->ngrants;) {
		struct grant *g = &gt->grants[i];
		if (g->exporter == p) {
			remove_at_locked(i);
		} else if (g->holder == p) {
			revoke_chain_locked(g->entry, g->exporter, p);
			i = 0;   /* the chain may have moved anything */
		} else {
			i++;
		}
	}
	shared_unlock(&gt->lock);
}

unsigned grants_count(void)
{
	shared_lock(&gt->lock);
	unsigned n = gt->ngrants;
	shared_unlock(&gt->lock);
	return n;
}
