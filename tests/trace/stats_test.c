/* Statistics: what pf_stats_* count per export and per entry mechanism. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../common.h"

static long echo(long x) { return x; }
static long nap_2ms(long x)
{
	nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	return x;
}
static int *volatile nowhere;
static long crash(long x) { return x < 0 ? *nowhere : x; }

static uint64_t hist_total(const uint64_t *h)
{
	uint64_t n = 0;
	for (unsigned b = 0; b < PF_STATS_BUCKETS; b++)
		n += h[b];
	return n;
}

static pf_stats get(const char *name)
{
	pf_stats s;
	assert_int_equal(pf_stats_get(name, &s), 0);
	assert_string_equal(s.name, name);
	return s;
}

static void nothing_is_counted_while_off(void **st)
{
	(void)st;
	pf_process *p = start_server("soff", (const struct one_export[]){
		{ "soff.echo", (void *)echo, 0, 0 }, { 0 } });
	long (*f)(long) = PF_GATE(long(long), import_ok("soff.echo"));
	assert_int_equal(pf_stats_enable(0), 0);
	assert_int_equal(f(1), 1);
	pf_stats s;
	assert_int_equal(pf_stats_get("soff.echo", &s), -ENOENT);
	assert_int_equal(pf_stats_enable(1), 0);
	assert_int_equal(f(1), 1);
	assert_int_equal(get("soff.echo").calls, 1);
	stop_server(p);
}

static void get_refuses_null_and_unknown_names(void **st)
{
	(void)st;
	pf_stats s;
	assert_int_equal(pf_stats_get(NULL, &s), -EINVAL);
	assert_int_equal(pf_stats_get("x.y", NULL), -EINVAL);
	assert_int_equal(pf_stats_get("never.exported", &s), -ENOENT);
	assert_int_equal(pf_stats_get_entry(NULL, &s), -EINVAL);
	assert_int_equal(pf_stats_get_entry("no-such-entry", &s), -ENOENT);
	assert_int_equal(pf_stats_next(NULL, &s), -EINVAL);
}

static void calls_and_errors_are_counted_by_code(void **st)
{
	(void)st;
	pf_process_options restart = { .restart = PF_RESTART_ALWAYS };
	pf_process *p;
	assert_int_equal(pf_process_create(&p, "serr", &restart, export_list_init,
					   (void *)(const struct one_export[]){
						   { "serr.crash", (void *)crash, 0, 0 }, { 0 } }), 0);
	long (*f)(long) = PF_GATE(long(long), import_ok("serr.crash"));
	for (long i = 0; i < 5; i++)
		assert_int_equal(f(i), i);
	f(-1);
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	/* Calls while it restarts fail with EOWNERDEAD too: wait it out. */
	while (f(1) != 1)
		assert_int_equal(pf_errno(), -EOWNERDEAD);
	pf_stats s = get("serr.crash");
	uint64_t dead = s.by_errno[EOWNERDEAD];
	assert_true(dead >= 1);
	assert_int_equal(s.calls, 5 + 1 + dead);
	assert_int_equal(s.errors, dead);
	stop_server(p);
	f(1);
	assert_int_equal(pf_errno(), -ESRCH);
	s = get("serr.crash");
	assert_int_equal(s.by_errno[ESRCH], 1);
	assert_int_equal(s.errors, dead + 1);
	/* The crashed call ran (until it crashed); the refused ones did not. */
	assert_int_equal(s.served, 5 + 1 + 1);
}

static void every_served_call_is_in_the_histograms(void **st)
{
	(void)st;
	pf_process *p = start_server("shist", (const struct one_export[]){
		{ "shist.nap", (void *)nap_2ms, 0, 0 }, { 0 } });
	long (*f)(long) = PF_GATE(long(long), import_ok("shist.nap"));
	for (long i = 0; i < 4; i++)
		assert_int_equal(f(i), i);
	pf_stats s = get("shist.nap");
	assert_int_equal(s.served, 4);
	assert_int_equal(s.queued, 4);
	assert_int_equal(hist_total(s.served_ns), 4);
	assert_int_equal(hist_total(s.queued_ns), 4);
	/* 2 ms asleep: the bucket's top is at least that. The p99 of 4
	 * calls is the top of the slowest one's bucket: no call took longer. */
	assert_true(s.served_p50_ns >= 2000000);
	assert_true(s.served_total_ns >= 4 * 2000000ull);
	assert_true(s.served_p50_ns <= s.served_p99_ns);
	assert_true(s.served_total_ns <= 4 * s.served_p99_ns);
	stop_server(p);
}

static void a_migrating_call_runs_without_being_queued(void **st)
{
	(void)st;
	pf_process *p = start_server("smig", (const struct one_export[]){
		{ "smig.echo", (void *)echo, 0, PF_EXPORT_MIGRATE }, { 0 } });
	long (*f)(long) = PF_GATE(long(long), import_ok("smig.echo"));
	for (long i = 0; i < 3; i++)
		assert_int_equal(f(i), i);
	pf_stats s = get("smig.echo");
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.served, 3);
	assert_int_equal(s.queued, 0);
	assert_int_equal(hist_total(s.queued_ns), 0);
	stop_server(p);
}

static void async_and_oneway_calls_count_when_they_complete(void **st)
{
	(void)st;
	pf_process *p = start_server("sasync", (const struct one_export[]){
		{ "sasync.echo", (void *)echo, 0, 0 }, { 0 } });
	pf_import *a, *o;
	assert_int_equal(pf_import_create(&a, "sasync.echo", PF_IMPORT_ASYNC), 0);
	assert_int_equal(pf_import_create(&o, "sasync.echo", PF_IMPORT_ONEWAY), 0);
	uint64_t ticket = PF_GATE(uint64_t(long), a)(7);
	PF_GATE(long(long), o)(8);
	pf_result r;
	assert_int_equal(pf_wait(ticket, -1, &r), 0);
	stop_server(p);   /* the one-way call has been served by then */
	pf_stats s = get("sasync.echo");
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.served, 2);
}

static void entries_are_counted_apart(void **st)
{
	(void)st;
	pf_process *p = start_server("sentry", (const struct one_export[]){
		{ "sentry.echo", (void *)echo, 0, 0 }, { 0 } });
	pf_import *imp = import_ok("sentry.echo");
	pf_stats gate0 = { 0 }, slot0 = { 0 }, s;
	pf_stats_get_entry("gate", &gate0);
	pf_stats_get_entry("slot", &slot0);
	long (*gate)(long) = PF_GATE(long(long), imp);
	long (*const *slot)(long) = PF_SLOT(long(long), imp);
	for (long i = 0; i < 3; i++)
		assert_int_equal(gate(i), i);
	for (long i = 0; i < 2; i++)
		assert_int_equal((*slot)(i), i);
	assert_int_equal(pf_stats_get_entry("gate", &s), 0);
	assert_string_equal(s.name, "gate");
	assert_int_equal(s.calls - gate0.calls, 3);
	assert_int_equal(pf_stats_get_entry("slot", &s), 0);
	assert_int_equal(s.calls - slot0.calls, 2);
	assert_int_equal(get("sentry.echo").calls, 5);
	stop_server(p);
}

static void next_walks_every_export_with_counts(void **st)
{
	(void)st;
	pf_stats s;
	unsigned cursor = 0, seen = 0;
	bool hist = false, mig = false;
	while (pf_stats_next(&cursor, &s) == 0) {
		seen++;
		hist |= strcmp(s.name, "shist.nap") == 0;
		mig |= strcmp(s.name, "smig.echo") == 0;
		assert_true(s.calls || s.served);
	}
	assert_true(hist && mig);
	assert_true(seen >= 5);
	assert_int_equal(pf_stats_next(&cursor, &s), -ENOENT);
}

static void print_writes_a_line_per_export(void **st)
{
	(void)st;
	char path[] = "/tmp/pfipc-stats-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(pf_stats_print(fd), 0);
	char buf[8192] = { 0 };
	assert_true(pread(fd, buf, sizeof buf - 1, 0) > 0);
	close(fd);
	unlink(path);
	assert_non_null(strstr(buf, "\nshist.nap "));
	assert_non_null(strstr(buf, "\nserr.crash "));
	assert_non_null(strstr(buf, "EOWNERDEAD"));
	assert_non_null(strstr(buf, "(entry: gate)"));
	assert_int_equal(pf_stats_print(-1), -EBADF);
}

static void reset_forgets_every_count(void **st)
{
	(void)st;
	assert_int_equal(pf_stats_reset(), 0);
	pf_stats s;
	unsigned cursor = 0;
	assert_int_equal(pf_stats_next(&cursor, &s), -ENOENT);
	assert_int_equal(pf_stats_get("shist.nap", &s), -ENOENT);
	assert_int_equal(pf_stats_get_entry("gate", &s), -ENOENT);
}

static int setup(void **st)
{
	(void)st;
	setenv("PFIPC_QUIET_CRASHES", "1", 1);
	if (pf_process_join_self(NULL, "client") != 0)
		return -1;
	return pf_stats_enable(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_is_counted_while_off),
		cmocka_unit_test(get_refuses_null_and_unknown_names),
		cmocka_unit_test(calls_and_errors_are_counted_by_code),
		cmocka_unit_test(every_served_call_is_in_the_histograms),
		cmocka_unit_test(a_migrating_call_runs_without_being_queued),
		cmocka_unit_test(async_and_oneway_calls_count_when_they_complete),
		cmocka_unit_test(entries_are_counted_apart),
		cmocka_unit_test(next_walks_every_export_with_counts),
		cmocka_unit_test(print_writes_a_line_per_export),
		cmocka_unit_test(reset_forgets_every_count),
	};
	return cmocka_run_group_tests_name("statistics", tests, setup, NULL);
}
