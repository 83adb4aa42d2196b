/* The queue is a FIFO under a mutex, taken in normal context only. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "base/msg.h"
#include "proc/process.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/deadlock.h"
#include "sched/queue.h"
#include "sched/turns.h"

struct run_queue {
	pthread_mutex_t lock;
	struct call_msg *head, *tail;
	_Atomic unsigned queued;
	/* Calls of a busy non-reentrant export wait here, in arrival order,
	 * for its running call to pass the turn on. */
	struct call_msg *parked_head, *parked_tail;
};

int queue_create(struct pf_process *p)
{
	struct run_queue *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	p->queue = q;
	return 0;
}

int queue_push(struct pf_process *p, struct call_msg *m)
{
	struct run_queue *q = p->queue;
	pthread_mutex_lock(&q->lock);
	int state = atomic_load(&p->state);
	if (state != PROC_STARTING && state != PROC_RUNNING) {
		pthread_mutex_unlock(&q->lock);
		return state == PROC_CRASHED || atomic_load(&p->died_crashed) ? -EOWNERDEAD : -ESRCH;
	}
	m->next = NULL;
	atomic_store_explicit(&m->state, MSG_QUEUED, memory_order_relaxed);
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	atomic_fetch_add(&q->queued, 1);
	pthread_mutex_unlock(&q->lock);
	wake_group_notify_idle(&p->threads);
	return 0;
}

bool queue_pending(const struct pf_process *p)
{
	return atomic_load_explicit(&p->queue->queued, memory_order_relaxed) != 0;
}

/* A non-reentrant export's calls take turns in arrival order: the call that
 * finds its export free takes the turn, later ones park until it is passed
 * on. With one thread this is what lets a thread that waits inside the
 * export (for a nested call) go on serving other exports' calls, and park a
 * new call to the busy export instead of failing it; with a pool it also
 * keeps two threads from overtaking each other. Passing the turn on takes
 * the queue lock once more, after the caller has been answered. */
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
}

/* Unlink M from the singly linked list HEAD/TAIL; false if absent. */
static bool unlink_msg(struct call_msg **head, struct call_msg **tail, struct call_msg *m)
{
	for (struct call_msg **link = head, *prev = NULL; *link; prev = *link, link = &(*link)->next) {
		if (*link != m)
			continue;
		*link = m->next;
		if (*tail == m)
			*tail = prev;
		return true;
	}
	return false;
}

struct call_msg *queue_pop(struct pf_process *p)
{
	struct run_queue *q = p->queue;
	if (atomic_load_explicit(&q->queued, memory_order_acquire) == 0)
		return NULL;
	pthread_mutex_lock(&q->lock);
	struct call_msg *m;
	while ((m = q->head) != NULL) {
		q->head = m->next;
		if (!q->head)
			q->tail = NULL;
		atomic_fetch_sub(&q->queued, 1);
		m->in_turn = false;
		if (!takes_turns(m))
			break;
		if (turn_take(m->entry)) {
			m->in_turn = true;
			break;
		}
		/* Parking a call that closes a cycle would hang it: hand it
		 * over, and serving it reports the deadlock. */
		struct pf_thread *h = serial_holder(m->entry);
		if (h && deadlock_would_wait_forever(m, h))
			break;
		park(q, m);
	}
	if (m)
		atomic_store_explicit(&m->state, MSG_RUNNING, memory_order_relaxed);
	pthread_mutex_unlock(&q->lock);
	return m;
}

struct call_msg *queue_pass_turn(struct pf_process *p, const struct export_entry *e)
{
	struct run_queue *q = p->queue;
	pthread_mutex_lock(&q->lock);
	struct call_msg *m = q->parked_head;
	while (m && m->entry != e)
		m = m->next;
	if (m) {
		unlink_msg(&q->parked_head, &q->parked_tail, m);
		m->in_turn = true;
		atomic_store_explicit(&m->state, MSG_RUNNING, memory_order_relaxed);
	} else {
		turn_drop(e);
	}
	pthread_mutex_unlock(&q->lock);
	return m;
}

bool queue_cancel(struct pf_process *p, struct call_msg *m)
{
	struct run_queue *q = p->queue;
	pthread_mutex_lock(&q->lock);
	bool queued = unlink_msg(&q->head, &q->tail, m);
	if (queued)
		atomic_fetch_sub(&q->queued, 1);
	bool found = queued || unlink_msg(&q->parked_head, &q->parked_tail, m);
	pthread_mutex_unlock(&q->lock);
	return found;
}

/* Everything queued or parked, as one list; the queue is left empty. */
static struct call_msg *drain_locked(struct run_queue *q)
{
	struct call_msg *all = q->head;
	if (q->tail)
		q->tail->next = q->parked_head;
	else
		all = q->parked_head;
	q->head = q->tail = q->parked_head = q->parked_tail = NULL;
	atomic_store(&q->queued, 0);
	return all;
}

bool queue_crash(struct pf_process *p, struct call_msg **drained)
{
	struct run_queue *q = p->queue;
	pthread_mutex_lock(&q->lock);
	int state = atomic_load(&p->state);
	bool running = state == PROC_STARTING || state == PROC_RUNNING;
	*drained = NULL;
	if (running) {
		atomic_store(&p->state, PROC_CRASHED);
		atomic_fetch_add(&p->crashes, 1);
		atomic_store(&p->died_crashed, true);
		*drained = drain_locked(q);
	}
	pthread_mutex_unlock(&q->lock);
	return running;
}

void queue_stop(struct pf_process *p)
{
	struct run_queue *q = p->queue;
	pthread_mutex_lock(&q->lock);
	if (atomic_load(&p->state) < PROC_STOPPING)
		atomic_store(&p->state, PROC_STOPPING);
	pthread_mutex_unlock(&q->lock);
}

int queue_finish(struct pf_process *p, struct call_msg **drained)
{
	struct run_queue *q = p->queue;
	pthread_mutex_lock(&q->lock);
	int was = atomic_exchange(&p->state, PROC_DEAD);
	*drained = drain_locked(q);
	pthread_mutex_unlock(&q->lock);
	return was;
}
