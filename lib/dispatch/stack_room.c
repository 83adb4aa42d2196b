#include "dispatch/stack_room.h"
#include "pf_limits.h"
#include "proc/thread.h"

bool stack_no_room(const struct pf_thread *t, uintptr_t sp)
{
	if (!t->stack_hi || sp > t->stack_hi || sp + LIMIT_CALL_HEADROOM < t->stack_lo)
		return false;
	return sp < t->stack_lo + LIMIT_CALL_HEADROOM + 8;
}
