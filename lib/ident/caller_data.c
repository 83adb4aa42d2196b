/* Per-caller variables.
 *
 * Each server has a table, made the first time it allocates, of entries
 * keyed by (caller, key). The caller is pf_caller() — taken from the thread
 * that faulted — so one client cannot reach another's variables by
 * claiming its name. The memory belongs to the server and stays where it
 * is until it is freed, so a server may keep pointers into it between
 * calls (for instance in a queue of pending work).
 *
 * Tables are never freed (a table of an exited server is only emptied):
 * process indexes are never reused, and a thread still holding the table
 * after the exit must not find freed memory. */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include "pf_limits.h"
#include "ident/caller_data.h"
#include "proc/process.h"
#include "proc/thread.h"

#define BUCKETS 64u

struct cd_entry {
	struct cd_entry *next;
	struct pf_process *caller;
	unsigned key;
	alignas(max_align_t) unsigned char data[];
};

struct cd_table {
	pthread_mutex_t lock;
	struct cd_entry *buckets[BUCKETS];
	size_t count;
};

static struct cd_table *_Atomic tables[LIMIT_PROCESSES];

static struct cd_table *table_of(const struct pf_process *server, int create)
{
	struct cd_table *tb = atomic_load_explicit(&tables[server->index], memory_order_acquire);
	if (tb || !create)
		return tb;
	struct cd_table *fresh = calloc(1, sizeof *fresh);
	if (!fresh)
		return NULL;
	pthread_mutex_init(&fresh->lock, NULL);
	if (atomic_compare_exchange_strong(&tables[server->index], &tb, fresh))
		return fresh;
	pthread_mutex_destroy(&fresh->lock);   /* another thread made it first */
	free(fresh);
	return tb;
}

static struct cd_entry **bucket(struct cd_table *tb, const struct pf_process *caller,
				unsigned key)
{
	return &tb->buckets[(caller->index * 31u + key) % BUCKETS];
}

/* The link that points at (caller, key)'s entry, or at the NULL ending its
 * bucket. Under tb->lock. */
static struct cd_entry **find_locked(struct cd_table *tb,
				     const struct pf_process *caller, unsigned key)
{
	struct cd_entry **link = bucket(tb, caller, key);
	while (*link && ((*link)->caller != caller || (*link)->key != key))
		link = &(*link)->next;
	return link;
}

/* The server (pf_self) and the process calling it (pf_caller), or -EINVAL
 * outside an export: there is nobody to keep data for. */
static int who(struct pf_process **server, struct pf_process **caller)
{
	struct pf_thread *t = pf_current;
	if (!t || !t->self || !t->caller_proc)
		return -EINVAL;
	*server = t->self;
	*caller = t->caller_proc;
	return 0;
}

int pf_caller_data_alloc(unsigned key, size_t size, void **out)
{
	struct pf_process *server, *caller;
	int rc = who(&server, &caller);
	if (rc)
		return rc;
	if (!out || size == 0 || size > SIZE_MAX - sizeof(struct cd_entry))
		return -EINVAL;
	struct cd_table *tb = table_of(server, 1);
	if (!tb)
		return -ENOMEM;
	pthread_mutex_lock(&tb->lock);
	struct cd_entry **link = find_locked(tb, caller, key);
	/* Checked under the lock: caller_data_release takes it after the
	 * caller is marked dead, so nothing allocated here can outlive it. */
	if (*link)
		rc = -EEXIST;
	else if (!process_is_alive(caller))
		rc = -ESRCH;
	else if (!(*link = calloc(1, sizeof **link + size)))
		rc = -ENOMEM;
	if (!rc) {
		(*link)->caller = caller;
		(*link)->key = key;
		tb->count++;
		*out = (*link)->data;
	}
	pthread_mutex_unlock(&tb->lock);
	return rc;
}

void *pf_caller_data_get(unsigned key)
{
	struct pf_process *server, *caller;
	struct cd_table *tb;
	if (who(&server, &caller) || !(tb = table_of(server, 0)))
		return NULL;
	pthread_mutex_lock(&tb->lock);
	struct cd_entry *e = *find_locked(tb, caller, key);
	pthread_mutex_unlock(&tb->lock);
	return e ? e->data : NULL;
}

int pf_caller_data_free(unsigned key)
{
	struct pf_process *server, *caller;
	int rc = who(&server, &caller);
	if (rc)
		return rc;
	struct cd_table *tb = table_of(server, 0);
	if (!tb)
		return -ENOENT;
	pthread_mutex_lock(&tb->lock);
	struct cd_entry **link = find_locked(tb, caller, key), *e = *link;
	if (e) {
		*link = e->next;
		tb->count--;
	}
	pthread_mutex_unlock(&tb->lock);
	free(e);
	return e ? 0 : -ENOENT;
}

/* Free TB's entries whose caller is CALLER, or all of them when CALLER is
 * NULL. */
static void drop(struct cd_table *tb, const struct pf_process *caller)
{
	struct cd_entry *gone = NULL;
	pthread_mutex_lock(&tb->lock);
	for (unsigned b = 0; b < BUCKETS; b++) {
		struct cd_entry **link = &tb->buckets[b];
		while (*link) {
			struct cd_entry *e = *link;
			if (caller && e->caller != caller) {
				link = &e->next;
				continue;
			}
			*link = e->next;
			e->next = gone;
			gone = e;
			tb->count--;
		}
	}
	pthread_mutex_unlock(&tb->lock);
	while (gone) {
		struct cd_entry *next = gone->next;
		free(gone);
		gone = next;
	}
}

void caller_data_release(struct pf_process *p)
{
	struct cd_table *own = table_of(p, 0);
	if (own)
		drop(own, NULL);
	for (unsigned i = 0; i < LIMIT_PROCESSES; i++) {
		struct cd_table *tb = atomic_load_explicit(&tables[i], memory_order_acquire);
		if (tb && tb != own)
			drop(tb, p);
	}
}

size_t caller_data_count(const struct pf_process *server)
{
	struct cd_table *tb = table_of(server, 0);
	if (!tb)
		return 0;
	pthread_mutex_lock(&tb->lock);
	size_t n = tb->count;
	pthread_mutex_unlock(&tb->lock);
	return n;
}
