#include <pthread.h>
#include <stdlib.h>
#include "base/msg.h"

/* Heap messages are kept for reuse, never given back: a program's
 * asynchronous calls in flight reach a high-water mark, and from then on a
 * call allocates nothing. Taken and returned in normal context only (the
 * fault handler never allocates). */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct call_msg *spare;

struct call_msg *msg_alloc(void)
{
	pthread_mutex_lock(&spare_lock);
	struct call_msg *m = spare;
	if (m)
		spare = m->next;
	pthread_mutex_unlock(&spare_lock);
	if (!m) {
		/* Its layout is by cache line: keep the lines where it says. */
		size_t size = (sizeof(struct call_msg) + 63) & ~(size_t)63;
		if (!(m = aligned_alloc(64, size)))
			return NULL;
	}
	m->on_heap = true;
	return m;
}

void msg_free(struct call_msg *m)
{
	if (!m || !m->on_heap)
		return;
	pthread_mutex_lock(&spare_lock);
	m->next = spare;
	spare = m;
	pthread_mutex_unlock(&spare_lock);
}

void msg_stack_reset(struct msg_stack *s)
{
	s->depth = 0;
	for (unsigned i = 0; i < LIMIT_DEPTH; i++)
		if (!s->slot[i])
			s->slot[i] = &s->storage[i];
}
