/*
 * raw_signal.c — a floor's handler installed with the raw rt_sigaction.
 *
 * pfipc interposes sigaction() for the signals it keeps (SIGSEGV, SIGTRAP,
 * SIGILL, SIGSYS ...): through it, a bench handler would be called from
 * pfipc's own handler, and the floor would include pfipc's work. The raw
 * system call puts the bench's handler straight into the kernel for the
 * batch, and puts pfipc's back after it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define SA_RESTORER_FLAG 0x04000000

static void *restorer; /* the C library's, taken from a handler it set */

static void ignore_usr2(int sig) { (void)sig; }

bool raw_find_restorer(void)
{
	struct kernel_sigaction k;

	if (restorer)
		return true;
	signal(SIGUSR2, ignore_usr2); /* not a signal pfipc keeps */
	syscall(SYS_rt_sigaction, SIGUSR2, NULL, &k, 8);
	restorer = k.restorer;
	return restorer != NULL;
}

void raw_swap_in(struct raw_swap *s)
{
	struct kernel_sigaction k = {
		.handler = (void *)s->handler,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER_FLAG,
		.restorer = restorer,
	};

	syscall(SYS_rt_sigaction, s->sig, &k, &s->saved, 8);
}

void raw_swap_out(struct raw_swap *s)
{
	syscall(SYS_rt_sigaction, s->sig, &s->saved, NULL, 8);
}


void raw_default(int sig)
{
	struct kernel_sigaction k = { .handler = SIG_DFL };

	syscall(SYS_rt_sigaction, sig, &k, NULL, 8);
}
