/* Buffer parameters (pf_export_buffers): the library, standing in for a
 * kernel's checked copy, moves the bytes so the server never touches the
 * caller's memory. */
#ifndef PF_BUFFERS_H
#define PF_BUFFERS_H

#include <stddef.h>
#include "x86_64/regs.h"

struct export_def;

struct buffer_copies {
	unsigned n;
	struct {
		void *caller_ptr;
		void *copy;
		size_t len;
		unsigned dir;
	} buf[PF_MAX_BUFFER_PARAMS];
};

/* Copy D's in-buffers into server memory and point REGS at the copies.
 * 0, -EMSGSIZE (too long), -EINVAL (NULL with a length) or -ENOMEM; on
 * error nothing is left allocated. */
int buffers_copy_in(const struct export_def *d, struct call_regs *regs,
		    struct buffer_copies *c);

/* Copy out-buffers back to the caller and release the copies. */
void buffers_copy_out(struct buffer_copies *c);

/* Release the copies without copying anything back. */
void buffers_release(struct buffer_copies *c);

#endif
