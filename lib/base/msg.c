#include <stdlib.h>
#include "base/msg.h"

struct call_msg *msg_alloc(void)
{
	/* Its layout is by cache line: keep the lines where it says. */
	size_t size = (sizeof(struct call_msg) + 63) & ~(size_t)63;
	struct call_msg *m = aligned_alloc(64, size);
	if (m)
		m->on_heap = true;
	return m;
}

void msg_free(struct call_msg *m)
{
	if (m && m->on_heap)
		free(m);
}

void msg_stack_reset(struct msg_stack *s)
{
	s->depth = 0;
	for (unsigned i = 0; i < LIMIT_DEPTH; i++)
		if (!s->slot[i])
			s->slot[i] = &s->storage[i];
}
