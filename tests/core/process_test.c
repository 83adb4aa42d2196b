/* Processes: where a call runs, who it runs as, ordering under load, and
 * what a caller sees when its callee has gone. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "../common.h"

/* ---- the callee runs on the server's thread, as the server ---------------- */

static pid_t seen_tid;
static pf_process *seen_self;

static long whoami(long x)
{
	seen_tid = gettid();
	seen_self = pf_self();
	return x + 1;
}

static void callee_runs_on_server_thread(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "who.ami", (void *)whoami, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *server = start_server("who", ex);
	long (*f)(long) = PF_GATE(long(long), import_ok("who.ami"));
	assert_int_equal(f(41), 42);
	assert_int_not_equal(seen_tid, gettid());
	assert_ptr_equal(seen_self, server);
	assert_string_equal(pf_process_name(seen_self), "who");
	assert_string_equal(pf_process_name(pf_self()), "client");
	stop_server(server);
}

/* ---- 2 servers, 4 caller threads x 10,000 calls --------------------------- */

#define CALLERS 4
#define CALLS   10000

/* Per server, per caller: the next sequence number it must see. Each server
 * has one thread, so only that thread touches its row. */
struct order_book {
	long next[CALLERS];
	long answered;
	int out_of_order;
};
static struct order_book books[2];

static long take(struct order_book *b, long caller, long seq)
{
	if (caller < 0 || caller >= CALLERS || b->next[caller] != seq)
		b->out_of_order++;
	else
		b->next[caller]++;
	b->answered++;
	return caller * 1000000 + seq;
}

static long take0(long caller, long seq) { return take(&books[0], caller, seq); }
static long take1(long caller, long seq) { return take(&books[1], caller, seq); }

struct caller_arg {
	long id;
	long wrong;
	int setup_rc;
};

static void *caller_main(void *argp)
{
	struct caller_arg *arg = argp;
	char name[16] = "caller0";
	name[6] = (char)('0' + arg->id);
	pf_import *imp[2];
	if ((arg->setup_rc = pf_process_join_self(NULL, name)) ||
	    (arg->setup_rc = pf_import_create(&imp[0], "order0.take", 0)) ||
	    (arg->setup_rc = pf_import_create(&imp[1], "order1.take", 0)))
		return NULL;
	long (*f[2])(long, long) = { PF_GATE(long(long, long), imp[0]),
				     PF_GATE(long(long, long), imp[1]) };
	long seq[2] = { 0, 0 };
	for (long i = 0; i < CALLS; i++) {
		int s = (int)(i % 2);
		long r = f[s](arg->id, seq[s]);
		if (r != arg->id * 1000000 + seq[s] || pf_errno() != 0)
			arg->wrong++;
		seq[s]++;
	}
	pf_thread_detach();
	return NULL;
}

static void four_callers_two_servers_every_call_answered_once_in_order(void **state)
{
	(void)state;
	static const struct one_export ex0[] = { { "order0.take", (void *)take0, PF_STACK_AUTO, 0 }, { 0 } };
	static const struct one_export ex1[] = { { "order1.take", (void *)take1, PF_STACK_AUTO, 0 }, { 0 } };
	memset(books, 0, sizeof books);
	pf_process *s0 = start_server("order0", ex0), *s1 = start_server("order1", ex1);
	pthread_t th[CALLERS];
	struct caller_arg args[CALLERS];
	for (long i = 0; i < CALLERS; i++) {
		args[i] = (struct caller_arg){ .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, caller_main, &args[i]), 0);
	}
	for (int i = 0; i < CALLERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].setup_rc, 0);
		assert_int_equal(args[i].wrong, 0);
	}
	stop_server(s0);
	stop_server(s1);
	for (int s = 0; s < 2; s++) {
		assert_int_equal(books[s].out_of_order, 0);
		assert_int_equal(books[s].answered, CALLERS * CALLS / 2);
		for (int c = 0; c < CALLERS; c++)
			assert_int_equal(books[s].next[c], CALLS / 2);
	}
}

/* ---- errors: unknown names, stopped servers ------------------------------- */

static long ident(long x) { return x; }

static void import_of_unknown_name_fails_with_enoent(void **state)
{
	(void)state;
	pf_import *imp = NULL;
	assert_int_equal(pf_import_create(&imp, "nobody.home", 0), -ENOENT);
	assert_int_equal(pf_import_create(&imp, "no-dot", 0), -EINVAL);
	assert_int_equal(pf_import_create(&imp, ".x", 0), -EINVAL);
	assert_null(imp);
}

static void call_to_stopped_server_fails_with_esrch_and_zero(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "gone.ident", (void *)ident, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *server = start_server("gone", ex);
	long (*f)(long) = PF_GATE(long(long), import_ok("gone.ident"));
	assert_int_equal(f(5), 5);
	assert_int_equal(pf_errno(), 0);
	stop_server(server);
	assert_int_equal(f(5), 0);
	assert_int_equal(pf_errno(), -ESRCH);
	assert_non_null(strstr(pf_error_message(), "gone.ident"));
	/* The thread is unharmed: the next good call succeeds and clears it. */
	static const struct one_export ex2[] = { { "back.ident", (void *)ident, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *again = start_server("back", ex2);
	assert_int_equal(PF_GATE(long(long), import_ok("back.ident"))(9), 9);
	assert_int_equal(pf_errno(), 0);
	assert_string_equal(pf_error_message(), "");
	stop_server(again);
}

static void second_exporter_of_a_name_or_namespace_is_refused(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "dup.ident", (void *)ident, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *first = start_server("dup1", ex), *second = NULL;
	assert_int_equal(pf_process_create(&second, "dup2", NULL, export_list_init, (void *)ex),
			 -EEXIST);
	static const struct one_export other[] = { { "dup.other", (void *)ident, PF_STACK_AUTO, 0 }, { 0 } };
	assert_int_equal(pf_process_create(&second, "dup3", NULL, export_list_init, (void *)other),
			 -EEXIST);
	stop_server(first);
}

static void bad_export_arguments_are_refused(void **state)
{
	(void)state;
	assert_int_equal(pf_export("x.y", NULL, PF_STACK_AUTO, 0), -EINVAL);
	assert_int_equal(pf_export("x.y", (void *)ident, 7, 0), -EINVAL);
	assert_int_equal(pf_export("x.y", (void *)ident, PF_MAX_STACK_BYTES + 8, 0), -EINVAL);
	assert_int_equal(pf_export("x.y", (void *)ident, PF_STACK_AUTO, 1u << 30), -EINVAL);
	assert_int_equal(pf_export("xy", (void *)ident, PF_STACK_AUTO, 0), -EINVAL);
}

static int failing_init(void *arg)
{
	(void)arg;
	return -ENOTSUP;
}

static void failing_init_is_returned_by_create(void **state)
{
	(void)state;
	pf_process *p = NULL;
	assert_int_equal(pf_process_create(&p, "failer", NULL, failing_init, NULL), -ENOTSUP);
	assert_null(p);
	assert_null(pf_process_find("failer"));
}

static int stops_seen;

static void on_stop(pf_process *p, int why, void *arg)
{
	assert_string_equal(pf_process_name(p), "watched");
	assert_ptr_equal(arg, &stops_seen);
	if (why == PF_DIED_STOPPED)
		stops_seen++;
}

static void watcher_is_told_once_when_a_process_stops(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "watched.ident", (void *)ident, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *p = start_server("watched", ex);
	assert_int_equal(pf_process_watch(p, on_stop, &stops_seen), 0);
	stop_server(p);
	assert_int_equal(stops_seen, 1);
	assert_int_equal(pf_process_crashes(p), 0);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(callee_runs_on_server_thread),
		cmocka_unit_test(four_callers_two_servers_every_call_answered_once_in_order),
		cmocka_unit_test(import_of_unknown_name_fails_with_enoent),
		cmocka_unit_test(call_to_stopped_server_fails_with_esrch_and_zero),
		cmocka_unit_test(second_exporter_of_a_name_or_namespace_is_refused),
		cmocka_unit_test(bad_export_arguments_are_refused),
		cmocka_unit_test(failing_init_is_returned_by_create),
		cmocka_unit_test(watcher_is_told_once_when_a_process_stops),
	};
	int failed = cmocka_run_group_tests_name("processes", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
