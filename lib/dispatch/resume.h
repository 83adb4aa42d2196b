/* How a caller goes back to its own code when its call is done: what an
 * entry tells the dispatcher. A type only. */
#ifndef PF_RESUME_H
#define PF_RESUME_H

#include <stdint.h>

/* How the caller gets back to its own code when the call is done. */
struct resume {
	/* The address the trampoline returns to, to be pushed on the
	 * caller's stack (a CALL whose push the entry emulates), or 0 when
	 * the caller's own CALL already pushed it (it is at [rsp]). */
	uintptr_t push;
	/* An entry that was no CALL (a syscall or int instruction): the
	 * address to go back to, with rsp exactly as it was and the red zone
	 * below it untouched (then PUSH is 0). 0 for the CALL-like entries. */
	uintptr_t jump;
};

#endif
