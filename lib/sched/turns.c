#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include "base/msg.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/wait.h"
#include "sched/deadlock.h"
#include "sched/turns.h"

/* One cache line per export: calls through one export write it, and
 * nothing else shares the line. */
struct export_turn {
	alignas(64) struct pf_thread *_Atomic holder;
	bool busy;                      /* a queued call has the turn */
	_Atomic uint32_t serial_seq;    /* bumped at release, for sleepers */
	_Atomic uint32_t serial_waiters;
};

static struct export_turn turns[LIMIT_EXPORT_NAMES];

static struct export_turn *turn_of(const struct export_entry *e)
{
	return &turns[registry_index(e)];
}

bool turn_take(const struct export_entry *e)
{
	struct export_turn *s = turn_of(e);
	if (s->busy)
		return false;
	s->busy = true;
	return true;
}

void turn_drop(const struct export_entry *e)
{
	turn_of(e)->busy = false;
}

struct pf_thread *serial_holder(const struct export_entry *e)
{
	return atomic_load(&turn_of(e)->holder);
}

int serial_enter(struct pf_thread *t, struct call_msg *m)
{
	struct export_turn *s = turn_of(m->entry);
	struct pf_thread *h = atomic_load(&s->holder);
	if (h == t) {
		/* Re-entered on the thread that is running it: it could only
		 * ever wait for itself. */
		if (!deadlock_would_wait_forever(m, t))
			snprintf(m->detail, sizeof m->detail,
				 "deadlock: \"%s\" in process %s is not reentrant and was re-entered on its own thread",
				 m->entry->name, m->callee->name);
		return -EDEADLK;
	}
	bool checked = false;
	for (unsigned tries = 0;; tries++) {
		struct pf_thread *none = NULL;
		if (atomic_compare_exchange_weak(&s->holder, &none, t))
			return 0;
		if (!none)
			continue;   /* a spurious CAS failure */
		if (!checked && deadlock_would_wait_forever(m, none))
			return -EDEADLK;
		checked = true;
		if (tries < 64) {
			__builtin_ia32_pause();
			continue;
		}
		/* Held for long (the export blocks, or runs long): sleep until
		 * a release. Dekker with serial_leave: count ourselves, then
		 * look at the holder again. */
		uint32_t seen = atomic_load(&s->serial_seq);
		atomic_fetch_add(&s->serial_waiters, 1);
		if (atomic_load(&s->holder))
			futex_wait_word(&s->serial_seq, seen);
		atomic_fetch_sub(&s->serial_waiters, 1);
	}
}

bool serial_try_enter(struct pf_thread *t, const struct export_entry *e)
{
	struct pf_thread *none = NULL;
	return atomic_compare_exchange_strong(&turn_of(e)->holder, &none, t);
}

void serial_leave(const struct export_entry *e)
{
	struct export_turn *s = turn_of(e);
	atomic_store(&s->holder, NULL);
	if (atomic_load(&s->serial_waiters)) {
		atomic_fetch_add(&s->serial_seq, 1);
		futex_wake_word(&s->serial_seq);
	}
}
