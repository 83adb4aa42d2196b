/* Migrating exports in the i386 build: they take the await path, which
 * runs them on the caller's thread as well (sched/serve.c), with the same
 * identity switch, serial lock and crash recovery; what is missing is
 * only the shortcut of dispatch/in_place.c, which enters the export
 * straight from the fault handler and needs x86-64's trampolines
 * (x86_64/in_place.S). */
#include <stdbool.h>
#include "dispatch/in_place.h"

bool in_place_enter(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		    uintptr_t stack_args, const struct resume *how)
{
	(void)t, (void)imp, (void)uc, (void)stack_args, (void)how;
	return false;
}

/* Never reached: no serving frame is ever in place in this build. */
void in_place_contain(struct pf_thread *t, ucontext_t *uc)
{
	(void)t, (void)uc;
}
