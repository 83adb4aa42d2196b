/* Processes behave like processes: reentrancy, callbacks, deadlocks that
 * fail instead of hanging, asynchronous and one-way calls, timeouts, lazy
 * binding. (Crashes and restarts: crash_test.c.) Run twice: the second
 * time every process it creates is isolated (tests/isolated.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../common.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

#define ORDERED_CALLS 3000

/* What the test and its servers both see, isolated or not. */
static struct shared {
	atomic_int inside, most_inside;
	long arrivals[ORDERED_CALLS];
	int narrivals;
	atomic_int running_now;
	int overlapped;
	char deadlock_message[256];
	int deadlock_errno;
	atomic_long oneway_sum;
} *sh;

/* ---- reentrancy ---------------------------------------------------------- */

static long overlap(long x)
{
	int now = atomic_fetch_add(&sh->inside, 1) + 1;
	int seen = atomic_load(&sh->most_inside);
	while (now > seen && !atomic_compare_exchange_weak(&sh->most_inside, &seen, now))
		;
	/* Stay until a second call is inside too (or 2 s pass). */
	for (int i = 0; i < 2000 && atomic_load(&sh->most_inside) < 2; i++)
		sleep_ms(1);
	atomic_fetch_sub(&sh->inside, 1);
	return x;
}

static int pool_init(void *arg)
{
	return pf_export("pool.overlap", (void *)overlap, PF_STACK_AUTO, (unsigned)(uintptr_t)arg);
}

struct overlap_arg {
	pf_process *client;
	pf_import *imp;
	long got;
};

static void *overlap_caller(void *argp)
{
	struct overlap_arg *a = argp;
	pf_thread_attach(a->client);
	a->got = PF_GATE(long(long), a->imp)(7);
	pf_thread_detach();
	return NULL;
}

static int run_two_overlapping_calls(unsigned flags)
{
	atomic_store(&sh->inside, 0);
	atomic_store(&sh->most_inside, 0);
	pf_process *pool;
	pf_process_options opts = { .threads = 2 };
	assert_int_equal(test_process_create(&pool, "pool", &opts, pool_init, (void *)(uintptr_t)flags), 0);
	struct overlap_arg a = { pf_self(), import_ok("pool.overlap"), 0 }, b = a;
	pthread_t ta, tb;
	pthread_create(&ta, NULL, overlap_caller, &a);
	pthread_create(&tb, NULL, overlap_caller, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.got, 7);
	assert_int_equal(b.got, 7);
	stop_server(pool);
	return atomic_load(&sh->most_inside);
}

static void reentrant_export_runs_on_two_threads_at_once(void **state)
{
	(void)state;
	assert_int_equal(run_two_overlapping_calls(PF_EXPORT_REENTRANT), 2);
}

/* Waits (up to 200 ms) for a second call to be inside too; 1 if it came. */
static long meet(long round)
{
	(void)round;
	atomic_fetch_add(&sh->inside, 1);
	int met = 0;
	for (int i = 0; i < 2000 && !(met = atomic_load(&sh->inside) >= 2); i++)
		usleep(100);
	/* Leave only when both have looked, so the next round starts clean;
	 * the second to look stays on a while longer, so that when the next
	 * round's two calls arrive it is spinning and the other asleep. */
	bool second = atomic_fetch_add(&sh->most_inside, 1) % 2;
	for (int i = 0; i < 2000 && atomic_load(&sh->most_inside) % 2; i++)
		usleep(100);
	atomic_fetch_sub(&sh->inside, 1);
	if (second)
		usleep(300);
	return met;
}

static int meet_init(void *arg)
{
	(void)arg;
	return pf_export("meet.meet", (void *)meet, PF_STACK_AUTO, PF_EXPORT_REENTRANT);
}

/* Two asynchronous calls queued back to back on a two-thread pool must
 * reach both threads, whatever each was doing (spinning after the last
 * round, or asleep): new work that finds one spinning thread and one
 * sleeping one used to leave the sleeper asleep, and the second call
 * waited for the first to end. */
static void calls_queued_back_to_back_reach_two_pool_threads(void **state)
{
	(void)state;
	enum { ROUNDS = 1000 };
	atomic_store(&sh->inside, 0);
	atomic_store(&sh->most_inside, 0);
	pf_process *pool;
	pf_process_options opts = { .threads = 2 };
	assert_int_equal(test_process_create(&pool, "meet", &opts, meet_init, NULL), 0);
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "meet.meet", PF_IMPORT_ASYNC), 0);
	uint64_t (*meet_async)(long) = PF_GATE(uint64_t(long), imp);
	int apart = 0;
	for (long r = 0; r < ROUNDS; r++) {
		uint64_t t0 = meet_async(r), t1 = meet_async(r);
		pf_result a, b;
		assert_int_equal(pf_wait(t0, -1, &a), 0);
		assert_int_equal(pf_wait(t1, -1, &b), 0);
		apart += !a.rax + !b.rax;
	}
	stop_server(pool);
	assert_int_equal(apart, 0);
}

static void plain_export_runs_one_call_at_a_time_even_with_two_threads(void **state)
{
	(void)state;
	assert_int_equal(run_two_overlapping_calls(0), 1);
}


static long arrive(long x)
{
	if (atomic_fetch_add(&sh->running_now, 1) != 0)
		sh->overlapped++;
	if (sh->narrivals < ORDERED_CALLS)
		sh->arrivals[sh->narrivals++] = x;
	for (volatile int spin = 0; spin < (x % 7) * 100; spin++)
		;   /* uneven work, so a second pool thread would overtake */
	atomic_fetch_sub(&sh->running_now, 1);
	return x;
}

static int arrive_init(void *arg)
{
	(void)arg;
	return pf_export("fifo.arrive", (void *)arrive, PF_STACK_AUTO, 0);
}

static void plain_export_keeps_arrival_order_on_a_four_thread_pool(void **state)
{
	(void)state;
	sh->narrivals = sh->overlapped = 0;
	pf_process *pool;
	pf_process_options opts = { .threads = 4 };
	assert_int_equal(test_process_create(&pool, "fifo", &opts, arrive_init, NULL), 0);
	pf_import *oneway;
	assert_int_equal(pf_import_create(&oneway, "fifo.arrive", PF_IMPORT_ONEWAY), 0);
	for (long i = 0; i < ORDERED_CALLS - 1; i++)
		PF_GATE(long(long), oneway)(i);
	/* A synchronous call is answered after everything queued before it. */
	assert_int_equal(PF_GATE(long(long), import_ok("fifo.arrive"))(ORDERED_CALLS - 1),
			 ORDERED_CALLS - 1);
	assert_int_equal(sh->narrivals, ORDERED_CALLS);
	for (long i = 0; i < ORDERED_CALLS; i++)
		assert_int_equal(sh->arrivals[i], i);
	assert_int_equal(sh->overlapped, 0);
	stop_server(pool);
}

/* ---- callbacks ----------------------------------------------------------- */

static long back_in_client(long x) { return x * 10; }

static long b_calls_back(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "client.back", 0))
		return -1;
	return PF_GATE(long(long), imp)(x) + 1;
}

static long c_calls_back(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "client.back", 0))
		return -1;
	return PF_GATE(long(long), imp)(x) + 2;
}

static long b_calls_c(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "cbc.c", 0))
		return -1;
	return PF_GATE(long(long), imp)(x) + 3;
}

static void callback_a_b_a_is_served_by_the_waiting_thread(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "cbb.b", (void *)b_calls_back, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *b = start_server("cbb", ex);
	assert_int_equal(PF_GATE(long(long), import_ok("cbb.b"))(4), 41);
	assert_int_equal(pf_errno(), 0);
	stop_server(b);
}

static void callback_chain_a_b_c_a(void **state)
{
	(void)state;
	static const struct one_export exb[] = { { "cbx.b", (void *)b_calls_c, PF_STACK_AUTO, 0 }, { 0 } };
	static const struct one_export exc[] = { { "cbc.c", (void *)c_calls_back, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *c = start_server("cbc", exc), *b = start_server("cbx", exb);
	assert_int_equal(PF_GATE(long(long), import_ok("cbx.b"))(5), 55);
	assert_int_equal(pf_errno(), 0);
	stop_server(b);
	stop_server(c);
}

/* ---- deadlock ------------------------------------------------------------- */


static long dl_y(long x);

static long dl_x(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "dly.y", 0))
		return -1;
	return PF_GATE(long(long), imp)(x);
}

static long dl_y(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "dlx.x", 0))
		return -1;
	long r = PF_GATE(long(long), imp)(x);   /* re-enters dlx.x */
	sh->deadlock_errno = pf_errno();
	strncpy(sh->deadlock_message, pf_error_message(), sizeof sh->deadlock_message - 1);
	return r;
}

static void reentering_a_busy_export_fails_with_edeadlk_naming_the_cycle(void **state)
{
	(void)state;
	static const struct one_export exx[] = { { "dlx.x", (void *)dl_x, PF_STACK_AUTO, 0 }, { 0 } };
	static const struct one_export exy[] = { { "dly.y", (void *)dl_y, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *x = start_server("dlx", exx), *y = start_server("dly", exy);
	assert_int_equal(PF_GATE(long(long), import_ok("dlx.x"))(3), 0);   /* did not hang */
	assert_int_equal(sh->deadlock_errno, -EDEADLK);
	assert_non_null(strstr(sh->deadlock_message, "deadlock: dlx -> dly -> dlx"));
	assert_non_null(strstr(sh->deadlock_message, "\"dlx.x\""));
	stop_server(x);
	stop_server(y);
}

static long cyc_c(long x);

static long cyc_a(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "cycb.b", 0))
		return -1;
	return PF_GATE(long(long), imp)(x);
}

static long cyc_b(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "cycc.c", 0))
		return -1;
	return PF_GATE(long(long), imp)(x);
}

static long cyc_c(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "cyca.a", 0))
		return -1;
	long r = PF_GATE(long(long), imp)(x);   /* back into the busy cyca.a */
	sh->deadlock_errno = pf_errno();
	strncpy(sh->deadlock_message, pf_error_message(), sizeof sh->deadlock_message - 1);
	return r;
}

static void three_process_cycle_is_named_in_order(void **state)
{
	(void)state;
	static const struct one_export exa[] = { { "cyca.a", (void *)cyc_a, PF_STACK_AUTO, 0 }, { 0 } };
	static const struct one_export exb[] = { { "cycb.b", (void *)cyc_b, PF_STACK_AUTO, 0 }, { 0 } };
	static const struct one_export exc[] = { { "cycc.c", (void *)cyc_c, PF_STACK_AUTO, 0 }, { 0 } };
	memset(sh->deadlock_message, 0, sizeof sh->deadlock_message);
	pf_process *a = start_server("cyca", exa), *b = start_server("cycb", exb),
		   *c = start_server("cycc", exc);
	assert_int_equal(PF_GATE(long(long), import_ok("cyca.a"))(3), 0);
	assert_int_equal(sh->deadlock_errno, -EDEADLK);
	assert_non_null(strstr(sh->deadlock_message, "deadlock: cyca -> cycb -> cycc -> cyca"));
	stop_server(a);
	stop_server(b);
	stop_server(c);
}

static long nap_then(long x)
{
	sleep_ms(50);
	return x;
}

static long busy_x(long x)
{
	pf_import *imp;
	if (pf_import_create(&imp, "napper.nap", 0))
		return -1;
	return PF_GATE(long(long), imp)(x) + 1;   /* busy, waiting, for 50 ms */
}

static int busy_init(void *arg)
{
	(void)arg;
	return pf_export("busy.x", (void *)busy_x, PF_STACK_AUTO, 0);
}

static void *second_caller(void *arg)
{
	long *out = arg;
	pf_process_join_self(NULL, "second");
	pf_import *imp;
	if (pf_import_create(&imp, "busy.x", 0) == 0) {
		sleep_ms(10);   /* arrive while the first call waits */
		out[0] = PF_GATE(long(long), imp)(20);
		out[1] = pf_errno();
	}
	pf_thread_detach();
	return NULL;
}

static void busy_export_makes_an_unrelated_caller_wait(unsigned threads)
{
	static const struct one_export exn[] = { { "napper.nap", (void *)nap_then, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *napper = start_server("napper", exn), *busy;
	pf_process_options opts = { .threads = threads };
	assert_int_equal(test_process_create(&busy, "busy", &opts, busy_init, NULL), 0);
	long second[2] = { -1, -1 };
	pthread_t th;
	pthread_create(&th, NULL, second_caller, second);
	assert_int_equal(PF_GATE(long(long), import_ok("busy.x"))(10), 11);
	pthread_join(th, NULL);
	assert_int_equal(second[1], 0);
	assert_int_equal(second[0], 21);
	stop_server(busy);
	stop_server(napper);
}

static void unrelated_call_to_a_busy_export_waits_its_turn_on_one_thread(void **state)
{
	(void)state;
	busy_export_makes_an_unrelated_caller_wait(1);
}

static void unrelated_call_to_a_busy_export_waits_its_turn_in_a_pool(void **state)
{
	(void)state;
	busy_export_makes_an_unrelated_caller_wait(2);
}

/* ---- asynchronous and one-way calls ----------------------------------------- */

static long square(long x) { return x * x; }
static long note(long x) { atomic_fetch_add(&sh->oneway_sum, x); return 0; }

#define IN_FLIGHT 10000

static void ten_thousand_async_calls_in_flight_all_collected(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "sq.square", (void *)square, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *server = start_server("sq", ex);
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "sq.square", PF_IMPORT_ASYNC), 0);
	uint64_t (*sq)(long) = PF_GATE(uint64_t(long), imp);
	static uint64_t tickets[IN_FLIGHT];
	for (long i = 0; i < IN_FLIGHT; i++) {
		tickets[i] = sq(i);
		assert_int_equal(pf_errno(), 0);
		assert_true(tickets[i] != 0);
	}
	for (long i = IN_FLIGHT - 1; i >= 0; i--) {
		pf_result r;
		assert_int_equal(pf_wait(tickets[i], -1, &r), 0);
		assert_int_equal((long)r.rax, i * i);
	}
	assert_int_equal(pf_wait(tickets[0], 0, NULL), -ENOENT);   /* collected */
	stop_server(server);
}

static void one_way_calls_are_all_delivered(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "ow.note", (void *)note, PF_STACK_AUTO, 0 },
						{ "ow.square", (void *)square, PF_STACK_AUTO, 0 }, { 0 } };
	atomic_store(&sh->oneway_sum, 0);
	pf_process *server = start_server("ow", ex);
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "ow.note", PF_IMPORT_ONEWAY), 0);
	long expect = 0;
	for (long i = 1; i <= 5000; i++) {
		assert_int_equal(PF_GATE(long(long), imp)(i), 0);
		expect += i;
	}
	/* The queue is FIFO: once a synchronous call is answered, every
	 * one-way call made before it has run. */
	assert_int_equal(PF_GATE(long(long), import_ok("ow.square"))(3), 9);
	assert_int_equal(atomic_load(&sh->oneway_sum), expect);
	stop_server(server);
}

/* ---- timeouts -------------------------------------------------------------- */

static long slow(long ms)
{
	sleep_ms(ms);
	return ms + 1;
}

static void timeout_fires_and_the_late_reply_is_discarded(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "slow.sleep", (void *)slow, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *server = start_server("slow", ex);
	pf_import *imp = import_ok("slow.sleep");
	long (*f)(long) = PF_GATE(long(long), imp);
	assert_int_equal(pf_import_set_timeout(imp, 20 * 1000000), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(f(300), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(pf_errno(), -ETIMEDOUT);
	long waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(waited_ms < 250);
	/* The same message slot is used again while the late call still runs;
	 * the late reply must not land in it. */
	assert_int_equal(pf_import_set_timeout(imp, 0), 0);
	assert_int_equal(f(1), 2);
	assert_int_equal(f(2), 3);
	assert_int_equal(pf_errno(), 0);
	stop_server(server);
}

/* ---- lazy binding ------------------------------------------------------------ */

static void *export_later(void *arg)
{
	sleep_ms(100);
	static const struct one_export ex[] = { { "late.square", (void *)square, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process **out = arg;
	test_process_create(out, "late", NULL, export_list_init, (void *)ex);
	return NULL;
}

static void lazy_import_binds_when_the_export_appears_100ms_later(void **state)
{
	(void)state;
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "late.square", 0), -ENOENT);
	assert_int_equal(pf_import_create(&imp, "late.square", PF_IMPORT_LAZY), 0);
	pf_process *late = NULL;
	pthread_t th;
	pthread_create(&th, NULL, export_later, &late);
	assert_int_equal(PF_GATE(long(long), imp)(12), 144);
	assert_int_equal(pf_errno(), 0);
	pthread_join(th, NULL);
	stop_server(late);
}

static void lazy_import_that_never_binds_times_out_with_a_clear_error(void **state)
{
	(void)state;
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "never.there", PF_IMPORT_LAZY), 0);
	assert_int_equal(PF_GATE(long(long), imp)(12), 0);
	assert_int_equal(pf_errno(), -ETIMEDOUT);
	assert_non_null(strstr(pf_error_message(), "never.there"));
}

int main(void)
{
	pf_process *client;
	if (!(sh = test_shared(sizeof *sh)))
		return 1;
	if (pf_process_join_self(&client, "client") != 0 ||
	    pf_export("client.back", (void *)back_in_client, PF_STACK_AUTO, 0) != 0)
		return 1;
	if (!test_isolation_as_said()) {
		fprintf(stderr, "processes are not created as this run says (PFIPC_TEST_ISOLATE)\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reentrant_export_runs_on_two_threads_at_once),
		cmocka_unit_test(plain_export_runs_one_call_at_a_time_even_with_two_threads),
		cmocka_unit_test(calls_queued_back_to_back_reach_two_pool_threads),
		cmocka_unit_test(plain_export_keeps_arrival_order_on_a_four_thread_pool),
		cmocka_unit_test(callback_a_b_a_is_served_by_the_waiting_thread),
		cmocka_unit_test(callback_chain_a_b_c_a),
		cmocka_unit_test(reentering_a_busy_export_fails_with_edeadlk_naming_the_cycle),
		cmocka_unit_test(three_process_cycle_is_named_in_order),
		cmocka_unit_test(unrelated_call_to_a_busy_export_waits_its_turn_on_one_thread),
		cmocka_unit_test(unrelated_call_to_a_busy_export_waits_its_turn_in_a_pool),
		cmocka_unit_test(ten_thousand_async_calls_in_flight_all_collected),
		cmocka_unit_test(one_way_calls_are_all_delivered),
		cmocka_unit_test(timeout_fires_and_the_late_reply_is_discarded),
		cmocka_unit_test(lazy_import_binds_when_the_export_appears_100ms_later),
		cmocka_unit_test(lazy_import_that_never_binds_times_out_with_a_clear_error),
	};
	int failed = cmocka_run_group_tests_name(test_isolated() ? "semantics, isolated" : "semantics",
						 tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
