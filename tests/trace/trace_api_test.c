/* pf_trace_start / pf_trace_flush / pf_trace_stop: errors, and which calls
 * a trace file holds. (What the events say is checked by trace_test.py.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../common.h"

static long echo(long x) { return x; }
static const struct one_export peers[] = { { "tpeer.echo", (void *)echo, 0, 0 }, { 0 } };

static pf_process *peer;
static long (*peer_echo)(long);
static char dir[] = "/tmp/pfipc-trace-XXXXXX";

static const char *path_in_dir(const char *name)
{
	static char buf[4][256];
	static unsigned n;
	char *p = buf[n++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", dir, name);
	return p;
}

/* How many times TEXT occurs in the file at PATH. */
static unsigned occurrences(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	unsigned count = 0;
	for (const char *p = buf; (p = strstr(p, text)) != NULL; p++)
		count++;
	return count;
}

static void calls(long n)
{
	for (long i = 0; i < n; i++) {
		assert_int_equal(peer_echo(i), i);
		assert_int_equal(pf_errno(), 0);
	}
}

static void start_refuses_null_and_empty_paths(void **s)
{
	(void)s;
	assert_int_equal(pf_trace_start(NULL), -EINVAL);
	assert_int_equal(pf_trace_start(""), -EINVAL);
}

static void start_reports_a_path_it_cannot_create(void **s)
{
	(void)s;
	assert_int_equal(pf_trace_start(path_in_dir("no/such/dir.json")), -ENOENT);
	/* Nothing was started. */
	assert_int_equal(pf_trace_flush(), -EINVAL);
}

static void start_twice_is_busy(void **s)
{
	(void)s;
	assert_int_equal(pf_trace_start(path_in_dir("busy.json")), 0);
	assert_int_equal(pf_trace_start(path_in_dir("busy2.json")), -EBUSY);
	assert_int_equal(pf_trace_stop(), 0);
}

static void flush_and_stop_without_a_trace_are_invalid(void **s)
{
	(void)s;
	assert_int_equal(pf_trace_flush(), -EINVAL);
	assert_int_equal(pf_trace_stop(), -EINVAL);
}

static void a_trace_holds_the_calls_made_while_it_ran(void **s)
{
	(void)s;
	const char *path = path_in_dir("calls.json");
	calls(2);                                      /* before: left out */
	assert_int_equal(pf_trace_start(path), 0);
	assert_int_equal(access(path, F_OK), 0);       /* created at once */
	calls(3);
	assert_int_equal(pf_trace_stop(), 0);
	calls(4);                                      /* after: left out */
	assert_int_equal(occurrences(path, "\"name\":\"call tpeer.echo\""), 3);
	assert_int_equal(occurrences(path, "\"name\":\"tpeer.echo\",\"cat\":\"serve\""), 3);
	assert_int_equal(occurrences(path, "\"pfipc_dropped_events\":0,"), 1);
}

static void flush_writes_what_was_recorded_so_far(void **s)
{
	(void)s;
	const char *path = path_in_dir("flush.json");
	assert_int_equal(pf_trace_start(path), 0);
	calls(1);
	assert_int_equal(pf_trace_flush(), 0);
	assert_int_equal(occurrences(path, "\"name\":\"call tpeer.echo\""), 1);
	calls(2);
	assert_int_equal(pf_trace_flush(), 0);
	assert_int_equal(occurrences(path, "\"name\":\"call tpeer.echo\""), 3);
	assert_int_equal(pf_trace_stop(), 0);
}

static void a_new_trace_starts_empty(void **s)
{
	(void)s;
	const char *first = path_in_dir("first.json"), *second = path_in_dir("second.json");
	assert_int_equal(pf_trace_start(first), 0);
	calls(5);
	assert_int_equal(pf_trace_stop(), 0);
	assert_int_equal(pf_trace_start(second), 0);
	calls(1);
	assert_int_equal(pf_trace_stop(), 0);
	assert_int_equal(occurrences(first, "\"name\":\"call tpeer.echo\""), 5);
	assert_int_equal(occurrences(second, "\"name\":\"call tpeer.echo\""), 1);
}

static void a_full_buffer_counts_what_it_dropped(void **s)
{
	(void)s;
	const char *path = path_in_dir("full.json");
	/* This thread's buffer is made with the default size first. */
	assert_int_equal(pf_trace_start(path), 0);
	calls(1);
	assert_int_equal(pf_trace_stop(), 0);
	/* Read at pf_trace_start; buffers made afterwards hold 2 events: a
	 * new server thread's. */
	setenv("PFIPC_TRACE_EVENTS", "2", 1);
	assert_int_equal(pf_trace_start(path), 0);
	unsetenv("PFIPC_TRACE_EVENTS");
	pf_process *small = start_server("tsmall", (const struct one_export[]){
		{ "tsmall.echo", (void *)echo, 0, 0 }, { 0 } });
	long (*small_echo)(long) = PF_GATE(long(long), import_ok("tsmall.echo"));
	for (long i = 0; i < 10; i++)
		assert_int_equal(small_echo(i), i);
	stop_server(small);
	assert_int_equal(pf_trace_stop(), 0);
	/* The server's thread kept 2 of its 10 served calls (and dropped its
	 * death notice); the caller's big buffer kept all 10 waits. */
	assert_int_equal(occurrences(path, "\"name\":\"call tsmall.echo\""), 10);
	assert_int_equal(occurrences(path, "\"name\":\"tsmall.echo\",\"cat\":\"serve\""), 2);
	assert_int_equal(occurrences(path, "\"pfipc_dropped_events\":9,"), 1);
}

static int setup(void **s)
{
	(void)s;
	if (!mkdtemp(dir))
		return -1;
	if (pf_process_join_self(NULL, "client") != 0)
		return -1;
	peer = start_server("tpeer", peers);
	pf_import *imp = NULL;
	if (pf_import_create(&imp, "tpeer.echo", 0) != 0)
		return -1;
	peer_echo = PF_GATE(long(long), imp);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	stop_server(peer);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_refuses_null_and_empty_paths),
		cmocka_unit_test(start_reports_a_path_it_cannot_create),
		cmocka_unit_test(start_twice_is_busy),
		cmocka_unit_test(flush_and_stop_without_a_trace_are_invalid),
		cmocka_unit_test(a_trace_holds_the_calls_made_while_it_ran),
		cmocka_unit_test(flush_writes_what_was_recorded_so_far),
		cmocka_unit_test(a_new_trace_starts_empty),
		cmocka_unit_test(a_full_buffer_counts_what_it_dropped),
	};
	return cmocka_run_group_tests_name("traces", tests, setup, teardown);
}
