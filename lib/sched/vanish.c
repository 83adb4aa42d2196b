/* See vanish.h. The rules that keep this from answering a call twice, or
 * a message that has since been reused for another call:
 * - T's record lists a call in `running` only after the call's `server`
 *   says T, and a call T finished is DONE before T forgets it; a message
 *   reused for a new call has another server (or none), since T is dead.
 *   So a listed call whose server is T and which is not DONE is T's.
 * - `claimed` is written before the CAS that makes a call RUNNING, when
 *   its server is not yet set: such a call is T's if it is RUNNING and
 *   its callee's OS process is the one that died (no call can be queued
 *   there any more). An ABANDONED one there may already have been freed
 *   by T: it is left alone (a leak at worst, never a double free).
 * - Answering takes the call from RUNNING to FINISHING with a CAS first,
 *   as a live server's copy-back does, against its caller giving up. */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include "base/msg.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "sched/abandon.h"
#include "sched/complete.h"
#include "sched/turns.h"
#include "sched/vanish.h"

static void answer(struct call_msg *m, const char *why, bool free_abandoned)
{
	for (;;) {
		uint32_t s = atomic_load(&m->state);
		if (s == MSG_RUNNING &&
		    !atomic_compare_exchange_strong(&m->state, &s, MSG_FINISHING))
			continue;   /* its caller gave up just now: look again */
		if (s == MSG_RUNNING || s == MSG_FINISHING) {
			snprintf(m->detail, sizeof m->detail, "process %s crashed (%s) in \"%s\"",
				 atomic_load(&m->callee)->name, why, m->entry->name);
			msg_complete(m, -EOWNERDEAD);
		} else if (s == MSG_ABANDONED && free_abandoned) {
			msg_free(m);   /* as T would have, finishing it */
		}
		return;
	}
}

static bool served_by(const struct call_msg *m, const struct pf_thread *t)
{
	return atomic_load(&m->server) == t;
}

void vanish_answer_served(struct pf_thread *t, const char *why)
{
	unsigned n = t->nrunning;
	/* One past the count too: the slot is written before it is counted. */
	for (unsigned i = 0; i <= n && i < LIMIT_DEPTH; i++) {
		struct call_msg *m = t->running[i];
		if (m && atomic_load(&m->state) != MSG_DONE && served_by(m, t))
			answer(m, why, true);
	}
	struct call_msg *m = t->claimed;
	if (m && atomic_load(&m->state) == MSG_RUNNING) {
		struct pf_process *callee = atomic_load(&m->callee);
		struct pf_thread *server = atomic_load(&m->server);
		if (callee && atomic_load(&callee->vanished) && (!server || server == t))
			answer(m, why, false);
	}
	serial_release_thread(t);
}

/* Is the callee copying results into M still after a second? */
static bool finishing_for_long(struct call_msg *m)
{
	struct timespec nap = { 0, 1000000 };
	for (int i = 0; i < 1000; i++) {
		if (atomic_load(&m->state) != MSG_FINISHING)
			return false;
		nanosleep(&nap, NULL);
	}
	return true;
}

bool vanish_give_up_calls(struct pf_thread *t)
{
	unsigned depth = t->calls.depth < LIMIT_DEPTH ? t->calls.depth : LIMIT_DEPTH;
	for (unsigned i = 0; i < depth; i++) {
		for (;;) {
			struct call_msg *m = t->calls.slot[i];
			uint32_t s = atomic_load(&m->state);
			if (s == MSG_QUEUED || s == MSG_RUNNING) {
				if (call_abandon(t, i))
					break;
				if (atomic_load(&m->state) == s)
					return false;   /* no memory for a fresh message */
				continue;
			}
			if (s == MSG_FINISHING) {
				if (finishing_for_long(m))
					return false;
				continue;
			}
			break;   /* never queued, or answered: nothing in flight */
		}
	}
	t->calls.depth = 0;
	return true;
}
