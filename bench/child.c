/*
 * child.c — measuring one case in a fresh copy of pfbench.
 *
 * Some settings of pfipc are read once, at pf_init, from the environment
 * (PFIPC_DECODE_CACHE=0 turns the decode cache off). A process cannot take
 * them back once pfipc is up, so a case that needs another setting runs in
 * a child: posix_spawn of /proc/self/exe with a hidden `--case NAME --iters
 * N` and the variable added. The child sets the case up, warms it, times one
 * batch and prints "ns ops"; the parent uses those numbers as that round's
 * sample, so the child's start-up never counts and the case still takes its
 * turn in the round-robin with all the others.
 *
 * In the latency pass the child's ticks happen in the child: it is asked
 * (--latency) to record its timed batch and to print the histogram's
 * non-empty buckets after "ns ops", and the parent adds them to its own
 * log. TSC cycles mean the same in both processes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

/* environ with EXTRA ("KEY=VALUE") added, replacing any KEY= already there.
 * Returns a malloc'd array the caller frees (the strings are borrowed). */
static char **env_with(const char *extra)
{
	size_t n = 0, keylen = strcspn(extra, "=") + 1, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], extra, keylen) != 0)
			env[j++] = environ[i];
	env[j++] = (char *)extra;
	env[j] = NULL;
	return env;
}

/* A child's histogram: at most one line per bucket. */
#define CHILD_OUT_CAP (64 + HIST_BUCKETS * 32)

static int read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t r;

	while (len + 1 < cap && (r = read(fd, buf + len, cap - 1 - len)) != 0) {
		if (r < 0)
			return -1;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return 0;
}

/* The "b BUCKET COUNT" lines after the first, into this thread's log. */
static void absorb_histogram(const char *out)
{
	const char *line = strchr(out, '\n');
	unsigned bucket;
	uint64_t n;

	while (line && *++line) {
		if (sscanf(line, "b %u %" SCNu64, &bucket, &n) == 2)
			tick_add_counts(bucket, n);
		line = strchr(line, '\n');
	}
}

int child_run_case(const char *name, const char *extra_env, uint64_t iters,
		   uint64_t *ns, uint64_t *ops)
{
	char iters_s[32];
	char *argv[] = { "pfbench", "--case", (char *)name, "--iters", iters_s,
			 tick_pass_active() ? "--latency" : NULL, NULL };
	static char out[CHILD_OUT_CAP];
	posix_spawn_file_actions_t fa;
	char **env = env_with(extra_env);
	int fds[2], status, rc = -1;
	pid_t pid;

	if (!env)
		return -1;
	snprintf(iters_s, sizeof(iters_s), "%" PRIu64, iters);
	if (pipe(fds) != 0) {
		free(env);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env) != 0)
		goto out;
	close(fds[1]);
	fds[1] = -1;
	int got = read_all(fds[0], out, sizeof(out));
	if (waitpid(pid, &status, 0) == pid && got == 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    sscanf(out, "%" SCNu64 " %" SCNu64, ns, ops) == 2 && *ops > 0)
		rc = 0;
	if (rc == 0 && argv[5])
		absorb_histogram(out);
out:
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(env);
	return rc;
}

int child_main(struct case_list *l, const char *name, uint64_t iters,
	       bool latency)
{
	static struct hist h;
	struct bench_case *c = case_find(l, name);
	const char *why = "setup failed";
	uint64_t ns, ops;

	if (!c) {
		fprintf(stderr, "pfbench: no case named %s\n", name);
		return 2;
	}
	if (c->setup && c->setup(c->ctx, &why) != 0) {
		fprintf(stderr, "pfbench: %s: %s\n", name, why);
		return 3;
	}
	if (c->begin)
		c->begin(c->ctx);
	/* Warm-up, a whole batch long: fault the code and the library's
	 * pools in and let its adaptive spin budgets settle, as the parent's
	 * cases settle over their calibration; then the batch that counts. */
	c->run(c->ctx, iters, &ops);
	if (latency)
		tick_pass_begin();
	ns = c->run(c->ctx, iters, &ops);
	if (latency)
		tick_pass_end(&h);
	if (c->end)
		c->end(c->ctx);
	printf("%" PRIu64 " %" PRIu64 "\n", ns, ops);
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		if (h.n[b])
			printf("b %u %" PRIu64 "\n", b, h.n[b]);
	fflush(stdout);
	return 0;
}
