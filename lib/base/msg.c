#include <errno.h>
#include <pthread.h>
#include "base/msg.h"
#include "base/shared.h"

/* Heap messages are kept for reuse, never given back: a program's
 * asynchronous calls in flight reach a high-water mark, and from then on a
 * call allocates nothing. They live in shared memory (an isolated callee
 * reads and completes them), and so does their spare list: a message freed
 * in one OS process is reused in another. Taken and returned in normal
 * context only (the fault handler never allocates). */
struct msg_pool {
	pthread_mutex_t lock;
	struct call_msg *spare;
};

static struct msg_pool *pool;

int msg_pool_init(void)
{
	if (!(pool = shared_alloc(sizeof *pool)))
		return -ENOMEM;
	shared_lock_init(&pool->lock);
	return 0;
}

struct call_msg *msg_alloc(void)
{
	shared_lock(&pool->lock);
	struct call_msg *m = pool->spare;
	if (m)
		pool->spare = m->next;
	shared_unlock(&pool->lock);
	/* Its layout is by cache line: shared blocks are 64-byte aligned. */
	if (!m && !(m = shared_alloc(sizeof *m)))
		return NULL;
	m->on_heap = true;
	return m;
}

void msg_free(struct call_msg *m)
{
	if (!m || !m->on_heap)
		return;
	shared_lock(&pool->lock);
	m->next = pool->spare;
	pool->spare = m;
	shared_unlock(&pool->lock);
}

void msg_stack_reset(struct msg_stack *s)
{
	s->depth = 0;
	for (unsigned i = 0; i < LIMIT_DEPTH; i++)
		if (!s->slot[i])
			s->slot[i] = &s->storage[i];
}
