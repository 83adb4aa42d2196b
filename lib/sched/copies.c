#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sched/copies.h"
#include "ident/registry.h"

/* The 8-byte word holding argument LOC (PF_ARG_REG / PF_ARG_STACK), or NULL
 * when it lies past the stack bytes the call carries. */
static uint64_t *arg_word(struct call_regs *regs, unsigned loc)
{
	if (loc < 6)
		return &regs->gpr[loc];
	size_t off = (size_t)(loc - 6) * 8;
	return off + 8 <= regs->stack_len ? (uint64_t *)(regs->stack + off) : NULL;
}

void buffers_release(struct buffer_copies *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->buf[i].copy);
	c->n = 0;
}

int buffers_copy_in(const struct export_def *d, struct call_regs *regs,
		    struct buffer_copies *c)
{
	c->n = 0;
	for (unsigned i = 0; i < d->nbufs; i++) {
		const pf_buffer_param *b = &d->bufs[i];
		uint64_t *ptr = arg_word(regs, b->ptr_arg);
		uint64_t *lenw = arg_word(regs, b->len_arg);
		if (!ptr || !lenw) {
			buffers_release(c);
			return -EINVAL;
		}
		/* The ABI leaves the upper half of a 4-byte argument undefined. */
		size_t len = b->len_size == 4 ? (uint32_t)*lenw : (size_t)*lenw;
		if (len > b->max_len) {
			buffers_release(c);
			return -EMSGSIZE;
		}
		void *user = (void *)(uintptr_t)*ptr;
		if (!user && len) {
			buffers_release(c);
			return -EINVAL;
		}
		void *copy = len ? malloc(len) : NULL;
		if (len && !copy) {
			buffers_release(c);
			return -ENOMEM;
		}
		if (b->dir & PF_BUF_IN)
			memcpy(copy, user, len);
		else if (len)
			memset(copy, 0, len);   /* no stale server bytes leak out */
		c->buf[c->n].caller_ptr = user;
		c->buf[c->n].copy = copy;
		c->buf[c->n].len = len;
		c->buf[c->n].dir = b->dir;
		c->n++;
		*ptr = (uint64_t)(uintptr_t)copy;
	}
	return 0;
}

void buffers_copy_out(struct buffer_copies *c)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->buf[i].dir & PF_BUF_OUT)
			memcpy(c->buf[i].caller_ptr, c->buf[i].copy, c->buf[i].len);
	buffers_release(c);
}
