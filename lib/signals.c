/* pfipc keeps SIGSEGV once it has it.
 *
 * Test frameworks (cmocka among them) and many programs install their own
 * SIGSEGV handler around the code they run. If that replaced pfipc's, every
 * call through an import would land in their handler. So libpfipc
 * interposes sigaction() and signal() for SIGSEGV only: after pf_init, a
 * handler the program installs becomes the one pfipc passes non-arena
 * faults to — exactly what it would have seen without pfipc — and asking
 * for the current handler reports it. Every other signal, and everything
 * before pf_init, goes straight to the C library. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include "signals.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static sigaction_fn real_sigaction;
static atomic_bool keeping;          /* pfipc's handler is installed */
static struct sigaction program_handler;   /* what the program believes */

/* Resolved before main, so no dlsym ever runs in a signal handler. */
__attribute__((constructor)) static void resolve_real_sigaction(void)
{
	if (!real_sigaction)
		real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
}

int signals_install(void (*handler)(int, siginfo_t *, void *))
{
	resolve_real_sigaction();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (real_sigaction(SIGSEGV, &sa, &program_handler) != 0)
		return -errno;
	atomic_store(&keeping, true);
	return 0;
}

const struct sigaction *signals_program_handler(void)
{
	return &program_handler;
}

void signals_die_by_default(void)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	atomic_store(&keeping, false);
	real_sigaction(SIGSEGV, &dfl, NULL);
}

__attribute__((visibility("default")))
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig != SIGSEGV || !atomic_load(&keeping)) {
		if (!real_sigaction)
			resolve_real_sigaction();
		return real_sigaction(sig, act, old);
	}
	struct sigaction prev = program_handler;
	if (act)
		program_handler = *act;
	if (old)
		*old = prev;
	return 0;
}

__attribute__((visibility("default")))
sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;   /* BSD semantics, as glibc's signal() */
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}
