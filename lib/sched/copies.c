#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ident/registry.h"
#include "proc/space.h"
#include "sched/copies.h"

/* The word holding argument LOC (PF_ARG_REG / PF_ARG_STACK: 8 bytes on
 * x86-64, 4 on i386), or NULL when it names no register of the image or
 * lies past the stack bytes the call carries. */
static arg_word *arg_word_at(struct call_regs *regs, unsigned loc)
{
	if (loc < ARG_REGS)
		return &regs->gpr[loc];
	if (loc < 6)
		return NULL;
	size_t off = (size_t)(loc - 6) * sizeof(arg_word);
	return off + sizeof(arg_word) <= regs->stack_len ? (arg_word *)(regs->stack + off) : NULL;
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
		arg_word *ptr = arg_word_at(regs, b->ptr_arg);
		arg_word *lenw = arg_word_at(regs, b->len_arg);
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
		int rc = 0;
		if ((b->dir & PF_BUF_IN) && c->remote)
			rc = space_copy_from(c->remote, copy, user, len);
		else if (b->dir & PF_BUF_IN)
			memcpy(copy, user, len);
		else if (len)
			memset(copy, 0, len);   /* no stale server bytes leak out */
		if (rc) {
			free(copy);
			buffers_release(c);
			return -EFAULT;
		}
		c->buf[c->n].caller_ptr = user;
		c->buf[c->n].copy = copy;
		c->buf[c->n].len = len;
		c->buf[c->n].dir = b->dir;
		c->n++;
		*ptr = (arg_word)(uintptr_t)copy;
	}
	return 0;
}

int buffers_copy_out(struct buffer_copies *c)
{
	int rc = 0;
	for (unsigned i = 0; i < c->n; i++) {
		if (!(c->buf[i].dir & PF_BUF_OUT))
			continue;
		if (c->remote) {
			if (space_copy_to(c->remote, c->buf[i].caller_ptr, c->buf[i].copy,
					  c->buf[i].len))
				rc = -EFAULT;
		} else {
			memcpy(c->buf[i].caller_ptr, c->buf[i].copy, c->buf[i].len);
		}
	}
	buffers_release(c);
	return rc;
}
