/* The helper (see helper.h).
 *
 * Three channels, made before the fork:
 *   requests  a SOCK_SEQPACKET pair: anyone sends a 4-byte index (send
 *             with MSG_NOSIGNAL: a helper that is gone is an error, not a
 *             SIGPIPE); the helper reads. Every OS process of the program
 *             keeps the sending end, isolated ones included.
 *   ends      a pipe: the helper writes {index, status} when an OS process
 *             it made ends (or could not be made); the program reads.
 *   life      a pipe the helper only reads: the program holds the only
 *             writing end, so EOF means the program is gone.
 * The helper is one thread doing one thing at a time: poll, then fork,
 * reap, or clean up and leave. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pf_limits.h"
#include "proc/helper.h"

#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif
#ifndef PR_SET_PTRACER_ANY
#define PR_SET_PTRACER_ANY ((unsigned long)-1)
#endif

struct end_note {
	uint32_t index;   /* UINT32_MAX: the helper's first note, its pid */
	int32_t status;   /* wait status, or -errno: never started */
};

static helper_child_fn child_fn;
static int req_send = -1;   /* everyone */
static int ends_read = -1;  /* the program */
static int life_write = -1; /* the program */
static pid_t helper_pid;
static bool in_helper;      /* the helper, or its child before it runs */
static bool forking;        /* the program, between fork and its return */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

bool helper_available(void)
{
	return req_send >= 0;
}

bool helper_is_self(void)
{
	return in_helper || forking;
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void tell_end(int ends, unsigned index, int status)
{
	struct end_note note = { index, status };
	write_all(ends, &note, sizeof note);
}

/* In the new OS process: nothing of the helper's stays open, and it dies
 * with the helper. Any process may read and write its memory with the
 * checked copies (Yama's ptrace scope 1 would otherwise allow only its
 * ancestors: the helper, not the program nor the helper's other
 * children). */
static void run_child(unsigned index, const sigset_t *mask, int *fds, unsigned nfds)
{
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != helper_pid)
		_exit(0);   /* the helper died before the line above */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	sigprocmask(SIG_SETMASK, mask, NULL);
	in_helper = false;
	child_fn(index);
	_exit(127);
}

/* The helper's loop. Every OS process it made is in PIDS, by index. */
static void helper_main(int req_recv, int ends, int life, const sigset_t *mask)
{
	static pid_t pids[LIMIT_PROCESSES];
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sig = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	for (;;) {
		struct pollfd pf[3] = {
			{ life, POLLIN, 0 }, { req_recv, POLLIN, 0 }, { sig, POLLIN, 0 },
		};
		if (poll(pf, 3, -1) < 0)
			continue;
		if (pf[0].revents) {
			char c;
			if (read(life, &c, 1) <= 0)
				break;   /* the program is gone */
		}
		if (pf[1].revents & POLLIN) {
			uint32_t index;
			if (recv(req_recv, &index, sizeof index, 0) == (ssize_t)sizeof index &&
			    index < LIMIT_PROCESSES) {
				pid_t pid = fork();
				if (pid == 0) {
					int fds[] = { req_recv, ends, life, sig };
					run_child(index, mask, fds, 4);
				}
				if (pid < 0)
					tell_end(ends, index, -errno);
				else
					pids[index] = pid;
			}
		}
		if (pf[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sig, &si, sizeof si) > 0)
				;
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				for (unsigned i = 0; i < LIMIT_PROCESSES; i++)
					if (pids[i] == pid) {
						pids[i] = 0;
						tell_end(ends, i, status);
					}
		}
	}
	for (unsigned i = 0; i < LIMIT_PROCESSES; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	_exit(0);
}

int helper_start(helper_child_fn child)
{
	int req[2], ends[2], life[2];
	child_fn = child;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, req) != 0)
		return -errno;
	if (pipe2(ends, O_CLOEXEC) != 0) {
		int err = -errno;
		close(req[0]);
		close(req[1]);
		return err;
	}
	if (pipe2(life, O_CLOEXEC) != 0) {
		int err = -errno;
		close(req[0]);
		close(req[1]);
		close(ends[0]);
		close(ends[1]);
		return err;
	}
	/* The helper blocks every signal it can (the program's terminal
	 * signals must not take it before the program: it leaves at EOF);
	 * its children get the mask of the thread that called pf_init.
	 *
	 * It is forked twice, the middle process leaving at once, so that it
	 * is no child of the program: a program that waits for any child of
	 * its own (wait(), waitpid(-1)) neither finds nor waits for it. It
	 * tells its pid as the first note on the ends pipe. */
	sigset_t all, mask;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &mask);
	forking = true;
	pid_t middle = fork();
	if (middle == 0) {
		if (fork() != 0)
			_exit(0);
		forking = false;
		in_helper = true;
		helper_pid = getpid();
		close(ends[0]);
		close(life[1]);   /* or it would never see EOF */
		req_send = req[1];   /* for its children: they ask too */
		ends_read = -1;
		life_write = -1;
		tell_end(ends[1], UINT32_MAX, (int)helper_pid);
		helper_main(req[0], ends[1], life[0], &mask);
	}
	forking = false;
	int err = middle < 0 ? -errno : 0;
	if (middle > 0)
		while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	close(req[0]);
	close(ends[1]);
	close(life[0]);
	req_send = req[1];
	ends_read = ends[0];
	life_write = life[1];
	unsigned first;
	int pid;
	if (!err && (helper_next_end(&first, &pid) != 0 || first != UINT32_MAX))
		err = -ECHILD;   /* the helper could not be forked */
	if (err) {
		close_fd(&req_send);
		close_fd(&ends_read);
		close_fd(&life_write);
		return err;
	}
	helper_pid = (pid_t)pid;
	prctl(PR_SET_PTRACER, helper_pid, 0, 0, 0);
	return 0;
}

int helper_spawn(unsigned index)
{
	if (req_send < 0)
		return -ECHILD;
	uint32_t i = index;
	for (;;) {
		ssize_t n = send(req_send, &i, sizeof i, MSG_NOSIGNAL);
		if (n == (ssize_t)sizeof i)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return -ECHILD;
	}
}

int helper_next_end(unsigned *index, int *status)
{
	struct end_note note;
	size_t got = 0;
	while (got < sizeof note) {
		ssize_t r = read(ends_read, (char *)&note + got, sizeof note - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		got += (size_t)r;
	}
	*index = note.index;
	*status = note.status;
	return 0;
}

void helper_forked(void)
{
	close_fd(&req_send);
	close_fd(&ends_read);
	close_fd(&life_write);
	helper_start(child_fn);
}
