/* A fixed open-addressed table under one lock (normal context only). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include "base/msg.h"
#include "call/tickets.h"
#include "pf_limits.h"

#define TABLE_SIZE LIMIT_TICKET_SLOTS

struct ticket_entry {
	uint64_t ticket;            /* 0: free */
	struct call_msg *m;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ticket_entry table[TABLE_SIZE];
static uint64_t next_ticket = 1;
static unsigned in_use;

static struct ticket_entry *find_locked(uint64_t ticket)
{
	for (unsigned i = 0; i < TABLE_SIZE; i++) {
		struct ticket_entry *e = &table[(ticket + i) & (TABLE_SIZE - 1)];
		if (e->ticket == ticket)
			return e;
		if (e->ticket == 0)
			return NULL;
	}
	return NULL;
}

int tickets_issue(struct call_msg *m, uint64_t *out)
{
	pthread_mutex_lock(&lock);
	if (in_use >= LIMIT_TICKETS) {   /* keep probes short */
		pthread_mutex_unlock(&lock);
		return -ENOSPC;
	}
	uint64_t t = next_ticket++;
	unsigned i = (unsigned)t & (TABLE_SIZE - 1);
	while (table[i].ticket)
		i = (i + 1) & (TABLE_SIZE - 1);
	table[i].ticket = t;
	table[i].m = m;
	in_use++;
	pthread_mutex_unlock(&lock);
	m->ticket = t;
	*out = t;
	return 0;
}

struct call_msg *tickets_find(uint64_t ticket)
{
	if (!ticket)
		return NULL;
	pthread_mutex_lock(&lock);
	struct ticket_entry *e = find_locked(ticket);
	struct call_msg *m = e ? e->m : NULL;
	pthread_mutex_unlock(&lock);
	return m;
}

/* Remove E, re-placing the entries after it (linear probing). */
static void remove_locked(struct ticket_entry *e)
{
	unsigned i = (unsigned)(e - table);
	e->ticket = 0;
	in_use--;
	for (unsigned j = (i + 1) & (TABLE_SIZE - 1); table[j].ticket; j = (j + 1) & (TABLE_SIZE - 1)) {
		struct ticket_entry moved = table[j];
		table[j].ticket = 0;
		unsigned k = (unsigned)moved.ticket & (TABLE_SIZE - 1);
		while (table[k].ticket)
			k = (k + 1) & (TABLE_SIZE - 1);
		table[k] = moved;
	}
}

bool tickets_forget(uint64_t ticket)
{
	pthread_mutex_lock(&lock);
	struct ticket_entry *e = find_locked(ticket);
	if (e)
		remove_locked(e);
	pthread_mutex_unlock(&lock);
	return e != NULL;
}
