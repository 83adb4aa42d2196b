/* Handle tables.
 *
 * A handle is not a pointer: it is a slot index, the slot's generation and
 * a random tag, so a client can neither derive a handle from an object's
 * address nor guess another client's handle:
 *
 *   bits 63..40  tag         random per handle, never 0
 *   bits 39..20  generation  bumped each time the slot is closed
 *   bits 19..0   index       slot in the server's table
 *
 * A slot is reused only after it is closed, oldest-closed first (a FIFO
 * free list), and a reused slot has a new generation and tag: an open
 * handle's value is never given out twice, and a closed one stays stale
 * (-EBADF) until its slot's generation wraps and the tag matches by
 * chance (1 in 2^24 after 2^20 reuses of one slot).
 *
 * Every operation acts for pf_caller(), taken from the faulting thread:
 * a handle owned by another caller is refused with -EPERM. Tables are never
 * freed, only emptied (see caller_data.c for why). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include "pf_limits.h"
#include "ident/handles.h"
#include "proc/process.h"
#include "proc/thread.h"

#define INDEX_BITS LIMIT_HANDLE_INDEX_BITS
#define GEN_BITS   20u
#define MAX_SLOTS  (1u << INDEX_BITS)
#define INDEX_MASK ((1ull << INDEX_BITS) - 1)
#define GEN_MASK   ((1ull << GEN_BITS) - 1)
#define NO_SLOT    UINT32_MAX

struct handle_slot {
	void *object;
	struct pf_process *owner;   /* NULL while closed */
	uint32_t gen;
	uint32_t tag;
	uint32_t next_free;
};

struct handle_table {
	pthread_mutex_t lock;
	struct handle_slot *slots;
	uint32_t nslots, cap;
	uint32_t free_head, free_tail;   /* FIFO of closed slots */
	uint64_t rng;
	size_t open;
};

static struct handle_table *_Atomic tables[LIMIT_PROCESSES];

/* splitmix64: the tags need to be unpredictable to a client that has not
 * read the server's memory, not cryptographic (nothing is, in one address
 * space). The seed comes from the kernel. */
static uint32_t next_tag(struct handle_table *tb)
{
	uint64_t z;
	do {
		z = (tb->rng += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
	} while ((z >> 40) == 0);
	return (uint32_t)(z >> 40);
}

static uint64_t seed(void)
{
	uint64_t s;
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) == (ssize_t)sizeof s)
		return s;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&s;
}

static struct handle_table *table_of(const struct pf_process *server, bool create)
{
	struct handle_table *tb = atomic_load_explicit(&tables[server->index], memory_order_acquire);
	if (tb || !create)
		return tb;
	struct handle_table *fresh = calloc(1, sizeof *fresh);
	if (!fresh)
		return NULL;
	pthread_mutex_init(&fresh->lock, NULL);
	fresh->free_head = fresh->free_tail = NO_SLOT;
	fresh->rng = seed();
	if (atomic_compare_exchange_strong(&tables[server->index], &tb, fresh))
		return fresh;
	pthread_mutex_destroy(&fresh->lock);   /* another thread made it first */
	free(fresh);
	return tb;
}

static uint64_t encode(uint32_t index, const struct handle_slot *s)
{
	return (uint64_t)s->tag << (INDEX_BITS + GEN_BITS) |
	       ((uint64_t)s->gen & GEN_MASK) << INDEX_BITS | index;
}

/* A free slot: the oldest closed one, else a new one. Under tb->lock. */
static int take_slot_locked(struct handle_table *tb, uint32_t *index)
{
	if (tb->free_head != NO_SLOT) {
		*index = tb->free_head;
		tb->free_head = tb->slots[*index].next_free;
		if (tb->free_head == NO_SLOT)
			tb->free_tail = NO_SLOT;
		return 0;
	}
	if (tb->nslots == MAX_SLOTS)
		return -ENOSPC;
	if (tb->nslots == tb->cap) {
		uint32_t cap = tb->cap ? tb->cap * 2 : 16;
		struct handle_slot *s = realloc(tb->slots, cap * sizeof *s);
		if (!s)
			return -ENOMEM;
		tb->slots = s;
		tb->cap = cap;
	}
	*index = tb->nslots++;
	tb->slots[*index].gen = 0;
	return 0;
}

static void close_slot_locked(struct handle_table *tb, uint32_t index)
{
	struct handle_slot *s = &tb->slots[index];
	s->object = NULL;
	s->owner = NULL;
	s->gen = (uint32_t)((s->gen + 1) & GEN_MASK);
	s->next_free = NO_SLOT;
	if (tb->free_tail != NO_SLOT)
		tb->slots[tb->free_tail].next_free = index;
	else
		tb->free_head = index;
	tb->free_tail = index;
	tb->open--;
}

/* The server's table and the caller the operation acts for; -EINVAL outside
 * an export, where there is no caller to own anything. */
static int who(struct pf_process **server, struct pf_process **caller)
{
	struct pf_thread *t = pf_current;
	if (!t || !t->self || !t->caller_proc)
		return -EINVAL;
	*server = t->self;
	*caller = t->caller_proc;
	return 0;
}

int pf_handle_create(void *object, uint64_t *out_handle)
{
	struct pf_process *server, *caller;
	int rc = who(&server, &caller);
	if (rc)
		return rc;
	if (!out_handle)
		return -EINVAL;
	struct handle_table *tb = table_of(server, true);
	if (!tb)
		return -ENOMEM;
	uint32_t index;
	pthread_mutex_lock(&tb->lock);
	/* Checked under the lock: handles_release takes it after the caller is
	 * marked dead, so no handle made here outlives its owner. */
	rc = process_is_alive(caller) ? take_slot_locked(tb, &index) : -ESRCH;
	if (!rc) {
		struct handle_slot *s = &tb->slots[index];
		s->object = object;
		s->owner = caller;
		s->tag = next_tag(tb);
		tb->open++;
		*out_handle = encode(index, s);
	}
	pthread_mutex_unlock(&tb->lock);
	return rc;
}

/* Lock the calling server's table and find the open slot H names, owned by
 * the caller. On success the table stays locked for the caller to unlock. */
static int open_locked(uint64_t h, struct handle_table **tbp, uint32_t *index)
{
	struct pf_process *server, *caller;
	int rc = who(&server, &caller);
	if (rc)
		return rc;
	struct handle_table *tb = table_of(server, false);
	if (!tb)
		return -EBADF;
	uint32_t i = (uint32_t)(h & INDEX_MASK);
	pthread_mutex_lock(&tb->lock);
	struct handle_slot *s = i < tb->nslots ? &tb->slots[i] : NULL;
	if (!s || !s->owner || encode(i, s) != h)
		rc = -EBADF;
	else if (s->owner != caller)
		rc = -EPERM;
	if (rc) {
		pthread_mutex_unlock(&tb->lock);
		return rc;
	}
	*tbp = tb;
	*index = i;
	return 0;
}

int pf_handle_lookup(uint64_t h, void **out)
{
	if (!out)
		return -EINVAL;
	struct handle_table *tb;
	uint32_t i;
	int rc = open_locked(h, &tb, &i);
	if (rc)
		return rc;
	*out = tb->slots[i].object;
	pthread_mutex_unlock(&tb->lock);
	return 0;
}

int pf_handle_close(uint64_t h)
{
	struct handle_table *tb;
	uint32_t i;
	int rc = open_locked(h, &tb, &i);
	if (rc)
		return rc;
	close_slot_locked(tb, i);
	pthread_mutex_unlock(&tb->lock);
	return 0;
}

int pf_handle_transfer(uint64_t h, pf_process *to)
{
	if (!to)
		return -EINVAL;
	struct handle_table *tb;
	uint32_t i;
	int rc = open_locked(h, &tb, &i);
	if (rc)
		return rc;
	/* Under the lock, for the same reason as in pf_handle_create. */
	if (process_is_alive(to))
		tb->slots[i].owner = to;
	else
		rc = -ESRCH;
	pthread_mutex_unlock(&tb->lock);
	return rc;
}

/* Close TB's handles owned by OWNER, or all of them when OWNER is NULL. */
static void drop(struct handle_table *tb, const struct pf_process *owner)
{
	pthread_mutex_lock(&tb->lock);
	for (uint32_t i = 0; i < tb->nslots; i++) {
		struct pf_process *o = tb->slots[i].owner;
		if (o && (!owner || o == owner))
			close_slot_locked(tb, i);
	}
	pthread_mutex_unlock(&tb->lock);
}

void handles_release(struct pf_process *p)
{
	struct handle_table *own = table_of(p, false);
	if (own)
		drop(own, NULL);
	for (unsigned i = 0; i < LIMIT_PROCESSES; i++) {
		struct handle_table *tb = atomic_load_explicit(&tables[i], memory_order_acquire);
		if (tb && tb != own)
			drop(tb, p);
	}
}

size_t handles_open_count(const struct pf_process *server)
{
	struct handle_table *tb = table_of(server, false);
	if (!tb)
		return 0;
	pthread_mutex_lock(&tb->lock);
	size_t n = tb->open;
	pthread_mutex_unlock(&tb->lock);
	return n;
}
