/* Finding the sigaction() that pfipc's own sigaction() stands in front of.
 *
 * In a dynamically linked program that is the next definition in symbol
 * lookup order, dlsym(RTLD_NEXT): the C library's, or a sanitizer's or a
 * preloaded library's that wraps it (the sanitizers intercept sigaction
 * too, and must keep seeing the handlers the program installs).
 *
 * dlsym(RTLD_NEXT) finds nothing in two cases. A fully static program has
 * no dynamic symbol table to search. And libpfipc can come after the C
 * library in the lookup order, when it is loaded as the dependency of
 * another library (a pfwrap shim); in that order the program's own calls
 * reach the C library first, so the interposition does not see them
 * (doc/pfwrap.md says so). Either way glibc's own function is the one to
 * call: its sigaction is a weak alias of __sigaction, which libc.so.6
 * exports with a public symbol version and libc.a defines, so calling that
 * is the same call as the C library's sigaction, with the kernel's
 * sigaction layout and the signal restorer done by glibc rather than by
 * hand.
 *
 * Built without sanitizers, like signals.c: a sanitizer runtime can call
 * sigaction (and so this) during its own start-up, before it can run
 * instrumented code, and before pfipc's constructor has run. */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include "entry/libc_sigaction.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

extern int __sigaction(int, const struct sigaction *, struct sigaction *);

/* Every thread that resolves it finds the same function: relaxed is enough. */
static _Atomic(sigaction_fn) next_sigaction;

static sigaction_fn resolve(void)
{
	sigaction_fn fn = atomic_load_explicit(&next_sigaction, memory_order_relaxed);
	if (fn)
		return fn;
	fn = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
	/* Static program; or a lookup that found pfipc's own definition
	 * again, which would call itself for ever. */
	if (!fn || fn == sigaction)
		fn = __sigaction;
	atomic_store_explicit(&next_sigaction, fn, memory_order_relaxed);
	return fn;
}

/* Before main, so that no dlsym ever runs in a signal handler. */
__attribute__((constructor)) static void resolve_before_main(void)
{
	resolve();
}

int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return resolve()(sig, act, old);
}
