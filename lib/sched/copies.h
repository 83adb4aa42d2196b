/* Buffer parameters (pf_export_buffers): the library, standing in for a
 * kernel's checked copy, moves the bytes so the server never touches the
 * caller's memory. A caller in another OS process (an isolated process on
 * either side) has its bytes copied from and to its own memory with the
 * checked copies (proc/space.h). */
#ifndef PF_BUFFERS_H
#define PF_BUFFERS_H

#include <stddef.h>
#include <sys/types.h>
#include "arch.h"

struct export_def;

struct buffer_copies {
	pid_t remote;      /* the caller's OS process when it is not this
			      one, else 0: set before buffers_copy_in */
	unsigned n;
	struct {
		void *caller_ptr;
		void *copy;
		size_t len;
		unsigned dir;
	} buf[PF_MAX_BUFFER_PARAMS];
};

/* Copy D's in-buffers into server memory and point REGS at the copies.
 * 0, -EMSGSIZE (too long), -EINVAL (NULL with a length), -ENOMEM, or
 * -EFAULT (a remote caller's buffer cannot be read); on error nothing is
 * left allocated. */
int buffers_copy_in(const struct export_def *d, struct call_regs *regs,
		    struct buffer_copies *c);

/* Copy out-buffers back to the caller and release the copies. 0, or
 * -EFAULT when a remote caller's buffer could not be written. */
int buffers_copy_out(struct buffer_copies *c);

/* Release the copies without copying anything back. */
void buffers_release(struct buffer_copies *c);

#endif
