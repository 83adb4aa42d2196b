/* A fixed open-addressed table under one lock (normal context only), in
 * shared memory: the program collects what an isolated caller left behind
 * when its OS process ends (tickets_drop_process). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "base/msg.h"
#include "base/shared.h"
#include "call/tickets.h"
#include "pf_limits.h"

#define TABLE_SIZE LIMIT_TICKET_SLOTS

struct ticket_entry {
	uint64_t ticket;            /* 0: free */
	struct call_msg *m;
};

struct ticket_table {
	pthread_mutex_t lock;
	uint64_t next_ticket;
	unsigned in_use;
	struct ticket_entry slot[TABLE_SIZE];
};

static struct ticket_table *tt;

int tickets_init(void)
{
	if (!(tt = shared_alloc(sizeof *tt)))
		return -ENOMEM;
	shared_lock_init(&tt->lock);
	tt->next_ticket = 1;
	return 0;
}

static struct ticket_entry *find_locked(uint64_t ticket)
{
	for (unsigned i = 0; i < TABLE_SIZE; i++) {
		struct ticket_entry *e = &tt->slot[(ticket + i) & (TABLE_SIZE - 1)];
		if (e->ticket == ticket)
			return e;
		if (e->ticket == 0)
			return NULL;
	}
	return NULL;
}

int tickets_issue(struct call_msg *m, uint64_t *out)
{
	shared_lock(&tt->lock);
	if (tt->in_use >= LIMIT_TICKETS) {   /* keep probes short */
		shared_unlock(&tt->lock);
		return -ENOSPC;
	}
	uint64_t t = tt->next_ticket++;
	unsigned i = (unsigned)t & (TABLE_SIZE - 1);
	while (tt->slot[i].ticket)
		i = (i + 1) & (TABLE_SIZE - 1);
	tt->slot[i].ticket = t;
	tt->slot[i].m = m;
	tt->in_use++;
	shared_unlock(&tt->lock);
	m->ticket = t;
	*out = t;
	return 0;
}

struct call_msg *tickets_find(uint64_t ticket)
{
	if (!ticket)
		return NULL;
	shared_lock(&tt->lock);
	struct ticket_entry *e = find_locked(ticket);
	struct call_msg *m = e ? e->m : NULL;
	shared_unlock(&tt->lock);
	return m;
}

/* Remove E, re-placing the entries after it (linear probing). */
static void remove_locked(struct ticket_entry *e)
{
	unsigned i = (unsigned)(e - tt->slot);
	e->ticket = 0;
	tt->in_use--;
	for (unsigned j = (i + 1) & (TABLE_SIZE - 1); tt->slot[j].ticket; j = (j + 1) & (TABLE_SIZE - 1)) {
		struct ticket_entry moved = tt->slot[j];
		tt->slot[j].ticket = 0;
		unsigned k = (unsigned)moved.ticket & (TABLE_SIZE - 1);
		while (tt->slot[k].ticket)
			k = (k + 1) & (TABLE_SIZE - 1);
		tt->slot[k] = moved;
	}
}

bool tickets_forget(uint64_t ticket)
{
	shared_lock(&tt->lock);
	struct ticket_entry *e = find_locked(ticket);
	if (e)
		remove_locked(e);
	shared_unlock(&tt->lock);
	return e != NULL;
}

void tickets_drop_process(const struct pf_process *p)
{
	shared_lock(&tt->lock);
	for (unsigned i = 0; i < TABLE_SIZE;) {
		struct ticket_entry *e = &tt->slot[i];
		struct call_msg *m = e->m;
		if (!e->ticket || m->from != p) {
			i++;
			continue;
		}
		/* Nobody will collect it: a finished call is freed, one still
		 * queued or running is handed to whoever meets it next. One
		 * whose callee is copying its results back right now is left
		 * (a leak of one message), rather than waited for here. */
		uint32_t state = atomic_load(&m->state);
		if (state == MSG_DONE)
			msg_free(m);
		else if ((state != MSG_QUEUED && state != MSG_RUNNING) ||
			 !atomic_compare_exchange_strong(&m->state, &state, MSG_ABANDONED)) {
			i++;
			continue;
		}
		remove_locked(e);   /* moves a later entry here: look again */
	}
	shared_unlock(&tt->lock);
}
