/* A process's call queue: FIFO under the process's lock (normal context
 * only), plus the turns a non-reentrant export's calls take. */
#include <errno.h>
#include "call/submit.h"
#include "proc/process.h"
#include "ident/registry.h"
#include "proc/wait.h"

int process_enqueue(struct pf_process *p, struct call_msg *m)
{
	pthread_mutex_lock(&p->lock);
	int state = atomic_load(&p->state);
	if (state != PROC_STARTING && state != PROC_RUNNING) {
		pthread_mutex_unlock(&p->lock);
		return state == PROC_CRASHED || atomic_load(&p->died_crashed) ? -EOWNERDEAD : -ESRCH;
	}
	m->next = NULL;
	atomic_store_explicit(&m->state, MSG_QUEUED, memory_order_relaxed);
	if (p->tail)
		p->tail->next = m;
	else
		p->head = m;
	p->tail = m;
	atomic_fetch_add(&p->queued, 1);
	pthread_mutex_unlock(&p->lock);
	process_notify_idle(p);
	return 0;
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

static void park(struct pf_process *p, struct call_msg *m)
{
	m->next = NULL;
	if (p->parked_tail)
		p->parked_tail->next = m;
	else
		p->parked_head = m;
	p->parked_tail = m;
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

struct call_msg *process_dequeue(struct pf_process *p)
{
	if (atomic_load_explicit(&p->queued, memory_order_acquire) == 0)
		return NULL;
	pthread_mutex_lock(&p->lock);
	struct call_msg *m;
	while ((m = p->head) != NULL) {
		p->head = m->next;
		if (!p->head)
			p->tail = NULL;
		atomic_fetch_sub(&p->queued, 1);
		m->in_turn = false;
		if (!takes_turns(m))
			break;
		if (!m->entry->busy) {
			m->entry->busy = m->in_turn = true;
			break;
		}
		/* Parking a call that closes a cycle would hang it: hand it
		 * over, and serving it reports the deadlock. */
		struct pf_thread *h = atomic_load(&m->entry->holder);
		if (h && call_would_deadlock(m, h))
			break;
		park(p, m);
	}
	if (m)
		atomic_store_explicit(&m->state, MSG_RUNNING, memory_order_relaxed);
	pthread_mutex_unlock(&p->lock);
	return m;
}

struct call_msg *process_pass_turn(struct pf_process *p, struct export_entry *e)
{
	pthread_mutex_lock(&p->lock);
	struct call_msg *m = p->parked_head;
	while (m && m->entry != e)
		m = m->next;
	if (m) {
		unlink_msg(&p->parked_head, &p->parked_tail, m);
		m->in_turn = true;
		atomic_store_explicit(&m->state, MSG_RUNNING, memory_order_relaxed);
	} else {
		e->busy = false;
	}
	pthread_mutex_unlock(&p->lock);
	return m;
}

bool process_cancel(struct pf_process *p, struct call_msg *m)
{
	pthread_mutex_lock(&p->lock);
	bool queued = unlink_msg(&p->head, &p->tail, m);
	if (queued)
		atomic_fetch_sub(&p->queued, 1);
	bool found = queued || unlink_msg(&p->parked_head, &p->parked_tail, m);
	pthread_mutex_unlock(&p->lock);
	return found;
}

/* Everything queued or parked on P, as one list; P's queue is left empty. */
struct call_msg *process_take_all_locked(struct pf_process *p)
{
	struct call_msg *all = p->head;
	if (p->tail)
		p->tail->next = p->parked_head;
	else
		all = p->parked_head;
	p->head = p->tail = p->parked_head = p->parked_tail = NULL;
	atomic_store(&p->queued, 0);
	return all;
}
