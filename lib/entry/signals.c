/* pfipc keeps the fault signals once it has them.
 *
 * Test frameworks (cmocka among them) and many programs install their own
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP and SIGSYS handlers around the
 * code they run. If theirs replaced pfipc's, every call through an import
 * would land in their handler (a page fault, an int3 or ud2 stub, an int
 * vector, a dispatched system call), and a crash inside a simulated
 * process could not be contained. So libpfipc interposes sigaction() and
 * signal() for those six signals only: after pf_init, a handler the program installs becomes the one pfipc
 * passes faults that are not its own to — exactly what it would have seen
 * without pfipc — and asking for the current handler reports it. Every other
 * signal, and everything before pf_init, goes straight to the C library
 * (entry/libc_sigaction.c).
 *
 * Built without sanitizers: their runtimes intercept sigaction as well, and
 * call it, through this file, while they start up, before they can run
 * instrumented code. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include "entry/libc_sigaction.h"
#include "entry/signals.h"

static const int kept[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
#define NKEPT (sizeof kept / sizeof kept[0])

static atomic_bool keeping;                  /* pfipc's handlers are in */
static struct sigaction program_handler[NKEPT]; /* what the program believes */

static int kept_index(int sig)
{
	for (unsigned i = 0; i < NKEPT; i++)
		if (kept[i] == sig)
			return (int)i;
	return -1;
}

bool signals_is_kept(int sig)
{
	return kept_index(sig) >= 0;
}

int signals_install(void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < NKEPT; i++) {
		/* A system call made for the program from the SIGSYS handler
		 * (entry/forward.c) can be interrupted by a signal whose
		 * handler makes a dispatched system call of its own (a raw
		 * one, or its return through a restorer outside the C
		 * library): a SIGSYS that finds SIGSYS blocked kills the
		 * program, so SIGSYS stays deliverable in its own handler. */
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | (kept[i] == SIGSYS ? SA_NODEFER : 0);
		if (libc_sigaction(kept[i], &sa, &program_handler[i]) != 0)
			return -errno;
	}
	atomic_store(&keeping, true);
	return 0;
}

const struct sigaction *signals_program_handler(int sig)
{
	return &program_handler[kept_index(sig)];
}

void signals_die_by_default(int sig)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	libc_sigaction(sig, &dfl, NULL);
	program_handler[kept_index(sig)] = dfl;
}

__attribute__((visibility("default")))
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int i = kept_index(sig);
	if (i < 0 || !atomic_load(&keeping))
		return libc_sigaction(sig, act, old);
	struct sigaction prev = program_handler[i];
	if (act)
		program_handler[i] = *act;
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
