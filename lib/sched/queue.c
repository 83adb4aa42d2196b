/* The queue: any thread (and the fault handler) pushes without a lock;
 * the process's own threads take calls off it one at a time, under a lock
 * they alone take (normal context only).
 *
 * Pushing is Vyukov's intrusive multi-producer queue: one exchange on the
 * head, then a store linking the previous node. Taking is single-consumer,
 * hence the consumers' lock. A call is never unlinked from the middle: a
 * caller that gives up marks it ABANDONED, and the consumer that meets it
 * frees it instead of running it.
 *
 * A process that stops, crashes or dies must not be left with a call
 * queued after its last look at the queue: a pusher counts itself in
 * `pushing` before it reads the state, and a state change waits for the
 * count to drop to zero before it drains the queue (Dekker, seq_cst).
 *
 * A thread of an isolated process can be killed at any instruction, with
 * its OS process. It never leaves a count behind: it says in its own
 * thread record which queue it is pushing into instead, and a state
 * change waits for those records too, unless their OS process is gone.
 * The record also holds the node it links and, from the instruction after
 * the exchange, the node before it, so that a push cut between its
 * exchange and its link can be finished by the program (queue_repair_push).
 * A consumer there says which call it has in hand between taking it off
 * the queue and claiming or parking it. What is left unrepaired: a push
 * cut between the exchange instruction itself and the store that follows
 * it leaves that queue cut after its last call (see the README). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include "base/msg.h"
#include "base/shared.h"
#include "ident/registry.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/deadlock.h"
#include "sched/queue.h"
#include "sched/turns.h"

struct run_queue {
	/* The producers' line: every push writes it. */
	alignas(64) struct qlink *_Atomic head;   /* last pushed */
	_Atomic unsigned pushing;                 /* pushers between their
						     state check and link */
	/* The consumers' lines. */
	alignas(64) pthread_mutex_t lock;
	struct qlink *_Atomic tail;               /* next to take */
	struct qlink stub;
	/* Calls of a busy non-reentrant export wait here, in arrival order,
	 * for its running call to pass the turn on. */
	struct call_msg *parked_head, *parked_tail;
	/* Written by a consumer in an isolated process: the call it took
	 * off the queue and has neither claimed nor parked yet. */
	struct call_msg *in_hand;
};

static struct call_msg *msg_of(struct qlink *l)
{
	return (struct call_msg *)((char *)l - offsetof(struct call_msg, qlink));
}

/* In shared memory: any OS process pushes, the process's own consumes. */
int queue_create(struct pf_process *p)
{
	struct run_queue *q = shared_alloc(sizeof *q);   /* 64-byte aligned */
	if (!q)
		return -ENOMEM;
	shared_lock_init(&q->lock);
	atomic_store(&q->stub.next, NULL);
	atomic_store(&q->head, &q->stub);
	atomic_store(&q->tail, &q->stub);
	atomic_store(&q->pushing, 0);
	q->parked_head = q->parked_tail = NULL;
	p->queue = q;
	return 0;
}

/* Async-signal-safe: an exchange and a store. */
static void link_in(struct run_queue *q, struct qlink *n)
{
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	struct qlink *prev = atomic_exchange_explicit(&q->head, n, memory_order_acq_rel);
	atomic_store_explicit(&prev->next, n, memory_order_release);
}

/* The same, by a thread that can die at any instruction: its record says
 * what it links, and after what, before each step that needs it. */
static void link_in_recorded(struct pf_thread *t, struct run_queue *q, struct qlink *n)
{
	t->push.node = n;
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);   /* kept in this order */
	struct qlink *prev = atomic_exchange_explicit(&q->head, n, memory_order_acq_rel);
	t->push.prev = prev;
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&prev->next, n, memory_order_release);
	t->push.prev = NULL;   /* never a stale one to "repair" */
	atomic_signal_fence(memory_order_seq_cst);
}

static bool accepting(int state)
{
	return state == PROC_STARTING || state == PROC_RUNNING;
}

static int refused_error(const struct pf_process *p, int state)
{
	return state == PROC_CRASHED || atomic_load(&p->died_crashed) ? -EOWNERDEAD : -ESRCH;
}

/* queue_push for a thread of an isolated process (see the top). */
static int push_recorded(struct pf_thread *t, struct pf_process *p, struct call_msg *m)
{
	struct run_queue *q = p->queue;
	atomic_store(&t->push.queue, q);   /* seq_cst: before the state */
	int state = atomic_load(&p->state);
	if (!accepting(state)) {
		atomic_store(&t->push.queue, NULL);
		return refused_error(p, state);
	}
	atomic_store_explicit(&m->state, MSG_QUEUED, memory_order_relaxed);
	link_in_recorded(t, q, &m->qlink);
	atomic_store_explicit(&t->push.queue, NULL, memory_order_release);
	wake_group_notify_idle(&p->threads);
	return 0;
}

/* Does the calling thread record what it does to queues (sched/vanish.c)?
 * A thread of an isolated process that is in a process: only those leave
 * records behind when their OS process ends. */
static struct pf_thread *recording_thread(void)
{
	return space_isolated_self() ? pf_current : NULL;
}

int queue_push(struct pf_process *p, struct call_msg *m)
{
	struct pf_thread *t = recording_thread();
	if (t)
		return push_recorded(t, p, m);
	struct run_queue *q = p->queue;
	atomic_fetch_add(&q->pushing, 1);
	int state = atomic_load(&p->state);
	if (!accepting(state)) {
		atomic_fetch_sub(&q->pushing, 1);
		return refused_error(p, state);
	}
	atomic_store_explicit(&m->state, MSG_QUEUED, memory_order_relaxed);
	link_in(q, &m->qlink);
	atomic_fetch_sub_explicit(&q->pushing, 1, memory_order_release);
	wake_group_notify_idle(&p->threads);
	return 0;
}

/* Empty is the stub both last pushed and next to take. The stub at the
 * head alone is not enough: a consumer that takes the last call links the
 * stub in behind it, and a call pushed between its look at the head and
 * that link sits before the stub (the queue reads call, stub). Only the
 * consumers move the tail onto the stub, once they have taken everything
 * before it. A push half done makes the head no stub: pending. */
bool queue_pending(const struct pf_process *p)
{
	const struct run_queue *q = p->queue;
	return atomic_load_explicit(&q->head, memory_order_relaxed) != &q->stub ||
	       atomic_load_explicit(&q->tail, memory_order_relaxed) != &q->stub;
}

/* TAIL leaves the queue (NEXT follows it): in an isolated process it is
 * in hand from before the store that takes it off. */
static struct call_msg *take_off(struct run_queue *q, struct qlink *tail, struct qlink *next)
{
	struct call_msg *m = msg_of(tail);
	if (recording_thread()) {
		q->in_hand = m;
		atomic_signal_fence(memory_order_seq_cst);
	}
	atomic_store_explicit(&q->tail, next, memory_order_relaxed);
	return m;
}

/* Take the oldest pushed call, or NULL (also while a pusher is between its
 * exchange and its link: its call is taken next time). Lock held. */
static struct call_msg *take_locked(struct run_queue *q)
{
	struct qlink *tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct qlink *next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (tail == &q->stub) {
		if (!next)
			return NULL;
		atomic_store_explicit(&q->tail, next, memory_order_relaxed);
		tail = next;
		next = atomic_load_explicit(&tail->next, memory_order_acquire);
	}
	if (next)
		return take_off(q, tail, next);
	if (tail != atomic_load_explicit(&q->head, memory_order_acquire))
		return NULL;   /* a push is half done */
	struct pf_thread *t = recording_thread();
	if (t) {
		atomic_store(&t->push.queue, q);
		link_in_recorded(t, q, &q->stub);
		atomic_store_explicit(&t->push.queue, NULL, memory_order_release);
	} else {
		link_in(q, &q->stub);
	}
	next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (!next)
		return NULL;
	return take_off(q, tail, next);
}

/* M leaves the queue to run: false if its caller gave up on it meanwhile
 * (then it is freed here, unless it is a thread's own storage, which its
 * caller replaced and never uses again). In an isolated process the
 * consumer's record says it holds M from the moment it may be RUNNING
 * (before the CAS: a RUNNING call nobody records would never be
 * answered), and nothing records it any more once it is freed. */
static bool claim(struct run_queue *q, struct call_msg *m)
{
	struct pf_thread *t = recording_thread();
	bool recorded = t != NULL;
	if (recorded) {
		t->claimed = m;
		atomic_signal_fence(memory_order_seq_cst);
	}
	uint32_t queued = MSG_QUEUED;
	if (atomic_compare_exchange_strong(&m->state, &queued, MSG_RUNNING)) {
		if (recorded)
			q->in_hand = NULL;
		return true;
	}
	if (recorded) {
		t->claimed = NULL;
		q->in_hand = NULL;
		atomic_signal_fence(memory_order_seq_cst);
	}
	msg_free(m);   /* ABANDONED: only the queue still knew it */
	return false;
}

/* A non-reentrant export's calls take turns in arrival order: the call that
 * finds its export free takes the turn, later ones park until it is passed
 * on. With one thread this is what lets a thread that waits inside the
 * export (for a nested call) go on serving other exports' calls, and park a
 * new call to the busy export instead of failing it; with a pool it also
 * keeps two threads from overtaking each other. */
static bool takes_turns(const struct call_msg *m)
{
	return !(m->flags & PF_EXPORT_REENTRANT);
}

static void park(struct run_queue *q, struct call_msg *m)
{
	m->next = NULL;
	if (q->parked_tail)
		q->parked_tail->next = m;
	else
		q->parked_head = m;
	q->parked_tail = m;
	if (recording_thread())
		q->in_hand = NULL;
}

/* Unlink M from the singly linked list HEAD/TAIL (M is in it). */
static void unlink_msg(struct call_msg **head, struct call_msg **tail, struct call_msg *m)
{
	for (struct call_msg **link = head, *prev = NULL; *link; prev = *link, link = &(*link)->next) {
		if (*link != m)
			continue;
		*link = m->next;
		if (*tail == m)
			*tail = prev;
		return;
	}
}

/* Lock held: the next call that may run now, or NULL. */
static struct call_msg *next_runnable_locked(struct run_queue *q)
{
	struct call_msg *m;
	while ((m = take_locked(q)) != NULL) {
		m->in_turn = false;
		if (!takes_turns(m)) {
			if (claim(q, m))
				return m;
			continue;
		}
		if (turn_take(m->entry)) {
			if (claim(q, m)) {
				m->in_turn = true;
				return m;
			}
			/* Nobody was parked behind a free turn: just drop it. */
			turn_drop(m->entry);
			continue;
		}
		/* Parking a call that closes a cycle would hang it: hand it
		 * over, and serving it reports the deadlock. */
		struct pf_thread *h = serial_holder(m->entry);
		if (h && deadlock_would_wait_forever(m, h)) {
			if (claim(q, m))
				return m;
			continue;
		}
		park(q, m);
	}
	return NULL;
}

struct call_msg *queue_pop(struct pf_process *p)
{
	struct run_queue *q = p->queue;
	if (!queue_pending(p))
		return NULL;
	shared_lock(&q->lock);
	struct call_msg *m = next_runnable_locked(q);
	shared_unlock(&q->lock);
	return m;
}

struct call_msg *queue_pass_turn(struct pf_process *p, const struct export_entry *e)
{
	struct run_queue *q = p->queue;
	shared_lock(&q->lock);
	struct call_msg *m = q->parked_head;
	for (;;) {
		while (m && m->entry != e)
			m = m->next;
		if (!m) {
			turn_drop(e);
			break;
		}
		struct call_msg *after = m->next;
		if (recording_thread())
			q->in_hand = m;
		unlink_msg(&q->parked_head, &q->parked_tail, m);
		if (claim(q, m)) {
			m->in_turn = true;
			break;
		}
		m = after;
	}
	shared_unlock(&q->lock);
	return m;
}

bool queue_cancel(struct call_msg *m)
{
	uint32_t queued = MSG_QUEUED;
	return atomic_compare_exchange_strong(&m->state, &queued, MSG_ABANDONED);
}

/* Lock held, no pusher in flight: everything pushed or parked, as one list
 * linked by `next`; the queue is left empty. */
static struct call_msg *drain_locked(struct run_queue *q)
{
	struct call_msg *all = q->parked_head, **end = &all;
	while (*end)
		end = &(*end)->next;
	struct call_msg *m;
	while ((m = take_locked(q)) != NULL) {
		m->next = NULL;
		*end = m;
		end = &m->next;
	}
	q->parked_head = q->parked_tail = NULL;
	return all;
}

/* Does any live thread of an isolated process push into Q now? */
static bool isolated_pusher_in(const struct run_queue *q)
{
	unsigned n = process_count();
	for (unsigned i = 0; i < n; i++) {
		struct pf_process *p = process_by_index(i);
		if (!p || p->opts.isolation != PF_ISOLATE_SPACE || atomic_load(&p->vanished))
			continue;
		bool found = false;
		shared_lock(&p->space_lock);
		for (struct pf_thread *t = p->space_threads; t && !found; t = t->next_in_space)
			found = atomic_load(&t->push.queue) == q;
		shared_unlock(&p->space_lock);
		if (found)
			return true;
	}
	return false;
}

/* After a state change: every pusher that read the old state has linked
 * its call, so a drain now sees it. */
static void wait_for_pushers(struct run_queue *q)
{
	while (atomic_load(&q->pushing) || isolated_pusher_in(q))
		sched_yield();
}

bool queue_crash(struct pf_process *p, struct call_msg **drained)
{
	struct run_queue *q = p->queue;
	shared_lock(&q->lock);
	int state = atomic_load(&p->state);
	bool running = accepting(state);
	*drained = NULL;
	if (running) {
		atomic_store(&p->state, PROC_CRASHED);
		atomic_fetch_add(&p->crashes, 1);
		atomic_store(&p->died_crashed, true);
		wait_for_pushers(q);
		*drained = drain_locked(q);
	}
	shared_unlock(&q->lock);
	return running;
}

void queue_stop(struct pf_process *p)
{
	struct run_queue *q = p->queue;
	shared_lock(&q->lock);
	if (atomic_load(&p->state) < PROC_STOPPING)
		atomic_store(&p->state, PROC_STOPPING);
	shared_unlock(&q->lock);
	/* What was pushed before is served; nothing is pushed after. */
	wait_for_pushers(q);
}

int queue_finish(struct pf_process *p, struct call_msg **drained)
{
	struct run_queue *q = p->queue;
	shared_lock(&q->lock);
	int was = atomic_exchange(&p->state, PROC_DEAD);
	wait_for_pushers(q);
	*drained = drain_locked(q);
	shared_unlock(&q->lock);
	return was;
}

void queue_repair_push(struct pf_thread *t)
{
	struct run_queue *q = atomic_load(&t->push.queue);
	if (!q)
		return;
	/* PREV is set only between the exchange and the link: the link is
	 * what is missing, and only this push makes it. */
	struct qlink *prev = t->push.prev, *node = t->push.node;
	if (prev && node && !atomic_load_explicit(&prev->next, memory_order_acquire))
		atomic_store_explicit(&prev->next, node, memory_order_release);
	t->push.prev = NULL;
	atomic_store(&t->push.queue, NULL);
}

int queue_vanish(struct pf_process *p, struct call_msg **drained)
{
	struct run_queue *q = p->queue;
	shared_lock(&q->lock);   /* a consumer killed with it held left it */
	int state = atomic_load(&p->state);
	if (accepting(state)) {
		atomic_store(&p->state, PROC_CRASHED);
		atomic_fetch_add(&p->crashes, 1);
		atomic_store(&p->died_crashed, true);
	}
	wait_for_pushers(q);
	*drained = drain_locked(q);
	/* A call a consumer took off the queue and had not yet claimed or
	 * parked is in nobody's list: it fails with the rest. */
	struct call_msg *m = q->in_hand;
	q->in_hand = NULL;
	if (m && atomic_load(&m->state) == MSG_QUEUED) {
		m->next = *drained;
		*drained = m;
	}
	/* Nothing of P's is parked any more: no export of P has a turn. */
	struct export_entry *e;
	for (unsigned i = 0; (e = registry_at(i)) != NULL; i++)
		if (atomic_load(&e->last_owner) == p)
			turn_drop(e);
	shared_unlock(&q->lock);
	return state;
}
