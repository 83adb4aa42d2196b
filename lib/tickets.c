/* A fixed open-addressed table: ticket numbers come from a counter and
 * are never reused, so a stale ticket is simply not found. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "call.h"
#include "process.h"
#include "thread.h"
#include "tickets.h"
#include "wait.h"

#define TABLE_SIZE (1u << 16)   /* in flight at once, at most */

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
	if (in_use >= TABLE_SIZE / 2) {   /* keep probes short */
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

void tickets_forget(uint64_t ticket)
{
	pthread_mutex_lock(&lock);
	struct ticket_entry *e = find_locked(ticket);
	if (e)
		remove_locked(e);
	pthread_mutex_unlock(&lock);
}

static void fill_result(const struct call_result *r, pf_result *out)
{
	memset(out, 0, sizeof *out);
	out->rax = r->rax;
	out->rdx = r->rdx;
	memcpy(out->xmm0, r->xmm0, 16);
	memcpy(out->xmm1, r->xmm1, 16);
	memcpy(&out->xmm0_float, r->xmm0, sizeof out->xmm0_float);
	out->has_long_double = (int)r->x87;
	if (r->x87 >= 1)
		memcpy(&out->st0, r->st0, 10);
	if (r->x87 >= 2)
		memcpy(&out->st1, r->st1, 10);
}

int pf_wait(uint64_t ticket, int64_t timeout_ns, pf_result *out)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	struct ticket_entry *e = ticket ? find_locked(ticket) : NULL;
	struct call_msg *m = e ? e->m : NULL;
	pthread_mutex_unlock(&lock);
	if (!m)
		return -ENOENT;
	if (m->from != t->proc)
		return -EPERM;
	/* Whoever completes it wakes the thread named here. */
	atomic_store(&m->caller, t);
	struct timespec deadline;
	if (timeout_ns >= 0)
		deadline = deadline_after(timeout_ns);
	if (call_wait(t, m, timeout_ns >= 0 ? &deadline : NULL) != 0)
		return -ETIMEDOUT;
	pthread_mutex_lock(&lock);
	e = find_locked(ticket);
	if (e)
		remove_locked(e);
	pthread_mutex_unlock(&lock);
	if (!e)
		return -ENOENT;   /* another thread collected it meanwhile */
	int err = m->error;
	if (out && !err)
		fill_result(&m->result, out);
	free(m);
	return err;
}
