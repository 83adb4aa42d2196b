#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pfipc.h"
#include "trace/api.h"
#include "trace/buffer.h"
#include "trace/clock.h"
#include "trace/json.h"
#include "trace/flags.h"

/* Starting, writing and stopping take turns; recording never takes it. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *trace_path;        /* NULL: not recording */
static uint64_t origin;         /* the clock at pf_trace_start */
static pid_t owner;             /* the process that started it */
static bool exit_hook;

static uint32_t capacity_from_environment(void)
{
	const char *s = getenv("PFIPC_TRACE_EVENTS");
	char *end;
	unsigned long n = s ? strtoul(s, &end, 10) : 0;
	if (!s || *end || n == 0 || n > (1ul << 26))
		return 0;   /* the default */
	return (uint32_t)n;
}

/* Under the lock. */
static int write_locked(void)
{
	uint64_t dropped = 0;
	int rc = trace_json_write(trace_path, origin, &dropped);
	if (dropped)
		fprintf(stderr, "pfipc: trace %s: %llu events dropped (a thread's buffer was full; "
			"PFIPC_TRACE_EVENTS sets its size)\n", trace_path, (unsigned long long)dropped);
	return rc;
}

static void write_at_exit(void)
{
	pthread_mutex_lock(&lock);
	/* A forked child exits with a copy of the buffers: the file is its
	 * parent's to write. */
	if (trace_path && getpid() == owner) {
		int rc = write_locked();
		if (rc)
			fprintf(stderr, "pfipc: trace %s could not be written: %s\n", trace_path,
				strerror(-rc));
	}
	pthread_mutex_unlock(&lock);
}

int pf_trace_start(const char *path)
{
	if (!path || !*path)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	int rc = 0;
	char *copy = NULL;
	int fd = -1;
	if (trace_path)
		rc = -EBUSY;
	else if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		rc = -errno;
	else if (!(copy = strdup(path)))
		rc = -ENOMEM;
	else if (!exit_hook && atexit(write_at_exit) != 0)
		rc = -ENOMEM;
	if (fd >= 0)
		close(fd);
	if (!rc) {
		exit_hook = true;
		trace_clock_init();
		trace_buf_new_epoch(capacity_from_environment());
		origin = trace_clock();
		owner = getpid();
		trace_path = copy;
		atomic_fetch_or(&trace_flags, TRACE_EVENTS);
	} else {
		free(copy);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int pf_trace_flush(void)
{
	pthread_mutex_lock(&lock);
	int rc = trace_path ? write_locked() : -EINVAL;
	pthread_mutex_unlock(&lock);
	return rc;
}

int pf_trace_stop(void)
{
	pthread_mutex_lock(&lock);
	int rc = -EINVAL;
	if (trace_path) {
		atomic_fetch_and(&trace_flags, ~TRACE_EVENTS);
		rc = write_locked();
		free(trace_path);
		trace_path = NULL;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static void print_stats_at_exit(void)
{
	pf_stats_print(2);
}

void trace_from_environment(void)
{
	const char *path = getenv("PFIPC_TRACE");
	if (path && *path) {
		int rc = pf_trace_start(path);
		if (rc)
			fprintf(stderr, "pfipc: PFIPC_TRACE=%s: no trace: %s\n", path, strerror(-rc));
	}
	const char *stats = getenv("PFIPC_STATS");
	if (stats && *stats && strcmp(stats, "0") != 0) {
		if (pf_stats_enable(1) == 0)
			atexit(print_stats_at_exit);
		else
			fprintf(stderr, "pfipc: PFIPC_STATS: no statistics: out of memory\n");
	}
}
