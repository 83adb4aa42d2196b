/* Death tests: run a function in a forked child and report how it died and
 * what it wrote on stderr. */
#ifndef PF_TEST_DEATH_H
#define PF_TEST_DEATH_H

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct death {
	int signal;     /* 0 if it exited */
	int status;     /* exit status if it exited */
	char err[4096]; /* what it wrote on stderr */
};

/* Read what child PID wrote into the pipe FDS (its write end is closed
 * here) until it ends, then wait for it: how it died, and its stderr. */
static inline struct death death_collect(pid_t pid, int fds[2])
{
	struct death d;
	memset(&d, 0, sizeof d);
	close(fds[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(fds[0], d.err + n, sizeof d.err - 1 - n)) > 0)
		n += (size_t)r;
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		d.signal = WTERMSIG(status);
	else
		d.status = WEXITSTATUS(status);
	return d;
}

static inline struct death run_child(void (*fn)(void))
{
	int fds[2];
	if (pipe(fds) != 0)
		abort();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		/* The test framework's SIGSEGV handler would catch the
		 * death we are looking for; the child dies the plain way. */
		signal(SIGSEGV, SIG_DFL);
		fn();
		_exit(0);
	}
	return death_collect(pid, fds);
}

/* Run this program again as `PROGRAM ARG`, a fresh process that inherits
 * nothing from the test framework or from pfipc (Syscall User Dispatch is
 * off in a forked child), and report how it died and what it wrote on
 * stderr. */
static inline struct death run_self(const char *arg)
{
	extern char **environ;
	int fds[2];
	if (pipe(fds) != 0)
		abort();
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	char *argv[] = { "/proc/self/exe", (char *)arg, NULL };
	pid_t pid;
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ) != 0)
		abort();
	posix_spawn_file_actions_destroy(&fa);
	return death_collect(pid, fds);
}

#endif
