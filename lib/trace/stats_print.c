/* pf_stats_print: the table PFIPC_STATS=1 prints at exit. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include "pfipc.h"
#include "trace/errname.h"
#include "trace/stats.h"
#include "trace/window_stats.h"

/* "812ns", "3.4us", "1.2ms", "2.0s"; "-" for nothing measured. */
static const char *duration(uint64_t ns, char *buf, size_t cap)
{
	if (!ns)
		snprintf(buf, cap, "-");
	else if (ns < 1000)
		snprintf(buf, cap, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, cap, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, cap, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, cap, "%.1fs", (double)ns / 1e9);
	return buf;
}

static int put(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* " EOWNERDEAD 3 ETIMEDOUT 1" */
static void errors_by_code(const pf_stats *s, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned code = 0; code < PF_STATS_ERRNOS && n + 1 < cap; code++) {
		if (!s->by_errno[code])
			continue;
		const char *name = code ? trace_errno_name((int)code) : "other";
		int w = name ? snprintf(buf + n, cap - n, " %s %llu", name,
					(unsigned long long)s->by_errno[code])
			     : snprintf(buf + n, cap - n, " errno%u %llu", code,
					(unsigned long long)s->by_errno[code]);
		if (w > 0)
			n = n + (size_t)w < cap ? n + (size_t)w : cap - 1;
	}
}

static int line(int fd, const char *what, const pf_stats *s)
{
	char q50[16], q99[16], s50[16], s99[16], codes[256], buf[512];
	errors_by_code(s, codes, sizeof codes);
	int n = snprintf(buf, sizeof buf, "%-32s %8llu %7llu %8llu %9s %9s %9s %9s %s\n", what,
			 (unsigned long long)s->calls, (unsigned long long)s->errors,
			 (unsigned long long)s->served,
			 duration(s->queued_p50_ns, q50, sizeof q50),
			 duration(s->queued_p99_ns, q99, sizeof q99),
			 duration(s->served_p50_ns, s50, sizeof s50),
			 duration(s->served_p99_ns, s99, sizeof s99), codes);
	return put(fd, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* One line per window with counts. */
static int windows(int fd)
{
	static const char head[] =
		"window                           instructions    reads   writes  updates   posted"
		"  bytes in bytes out   failed\n";
	unsigned cursor = 0;
	const char *name;
	pf_window_stats w;
	int rc = 0;
	bool first = true;
	while (!rc && (name = window_stats_next(&cursor)) != NULL) {
		if (pf_stats_get_window(name, &w) != 0)
			continue;
		if (first && (rc = put(fd, head, sizeof head - 1)) != 0)
			break;
		first = false;
		char buf[320];
		int n = snprintf(buf, sizeof buf, "%-32s %12llu %8llu %8llu %8llu %8llu %9llu %9llu %8llu\n",
				 w.name, (unsigned long long)w.instructions,
				 (unsigned long long)w.reads, (unsigned long long)w.writes,
				 (unsigned long long)w.updates, (unsigned long long)w.posted,
				 (unsigned long long)w.read_bytes, (unsigned long long)w.written_bytes,
				 (unsigned long long)w.failed);
		rc = put(fd, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
	}
	return rc;
}

int pf_stats_print(int fd)
{
	static const char head[] =
		"pfipc statistics (p50, p99: top of the log2 bucket, at most 2x the true time)\n"
		"export                              calls  errors   served  queue p50 queue p99 "
		"serve p50 serve p99 errors by code\n";
	int rc = put(fd, head, sizeof head - 1);
	pf_stats s;
	unsigned cursor = 0;
	while (!rc && pf_stats_next(&cursor, &s) == 0)
		rc = line(fd, s.name, &s);
	for (unsigned i = 0; !rc && stats_entry_label(i); i++) {
		char what[64];
		if (pf_stats_get_entry(stats_entry_label(i), &s) != 0)
			continue;
		snprintf(what, sizeof what, "(entry: %s)", s.name);
		rc = line(fd, what, &s);
	}
	return rc ? rc : windows(fd);
}
