/* A window access, as one message carries it: what to do at which offset
 * of the window (or which port of a port range), and the bytes.
 *
 * A window access is a message of its own kind (its export is a window:
 * registry.h's EXPORT_WINDOW): it goes through the same queue, turns,
 * deadlock detection, timeouts and crash containment as a call, but the
 * serving thread runs the window's read, write or update function on this
 * instead of invoking an export with a register image. It lives in the
 * message itself, so a posted write (sent as a one-way message, a copy)
 * carries its bytes along. */
#ifndef PF_WINDOW_IO_H
#define PF_WINDOW_IO_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

enum window_op {
	WINDOW_READ,    /* value <- the window's bytes */
	WINDOW_WRITE,   /* the window's bytes <- value */
	WINDOW_UPDATE,  /* read, step, write (if the step says so), with no
			   other access to the window in between */
};

/* The instruction's part of an update, run by the serving thread between
 * the read and the write: it computes the bytes to write from VALUE (in
 * place) and the accessing thread's registers, and says whether to write.
 * The same signature as the emulator's emu_rmw_fn. */
typedef bool window_step_fn(void *ctx, void *value);

struct window_io {
	uint8_t op;                /* enum window_op */
	uint8_t width;             /* bytes: 1 2 4 8 16 32 */
	uint64_t offset;           /* from the window's first byte (or port) */
	window_step_fn *step;      /* WINDOW_UPDATE */
	void *step_ctx;
	alignas(32) uint8_t value[32]; /* WRITE: the bytes to write; READ and
					  UPDATE: the bytes read, for the
					  accessing thread */
};

#endif
