/* Shared state read on one thread while another thread changes it: an
 * export defined again while others import and call it, deadlock detection
 * walking the waits of threads that are busy calling, a cycle closed the
 * moment it can be, and threads that join and decode at the same moment.
 *
 * Every behaviour here also checks its results, but the races themselves
 * show under ThreadSanitizer (meson setup -Db_sanitize=thread): a report
 * fails the test with exit status 66. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../common.h"

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

/* ---- an export defined again while it is imported and called ------------- */

/* Each incarnation of the "re" process defines re.sum afresh, alternating
 * between two definitions that differ in function, stack bytes and flags.
 * A caller passes 7 arguments either way; a call that mixed one
 * definition's function with the other's stack bytes would read a 7th
 * argument that was never copied. */
static long sum7(long a, long b, long c, long d, long e, long f, long g)
{
	return a + b + c + d + e + f + g;
}

static long sum6_plus_1000(long a, long b, long c, long d, long e, long f)
{
	return a + b + c + d + e + f + 1000;
}

static long *volatile unmapped = (long *)16;

static long die(long x)
{
	*unmapped = x;
	return x;
}

static int redefining_init(void *arg)
{
	(void)arg;
	int rc = pf_process_crashes(pf_self()) % 2
		 ? pf_export("re.sum", (void *)sum6_plus_1000, PF_STACK_AUTO, 0)
		 : pf_export("re.sum", (void *)sum7, PF_STACK_AUTO, PF_EXPORT_REENTRANT);
	return rc ? rc : pf_export("re.die", (void *)die, PF_STACK_AUTO, 0);
}

#define REDEFINITIONS    40
#define CALLERS          3
#define IMPORTS_PER_CALLER 120   /* a process holds at most 256 */

struct caller_tally {
	long ok, failed, wrong;
};

static atomic_bool redefining;

static void *import_and_call(void *arg)
{
	struct caller_tally *tally = arg;
	static atomic_int n;
	char name[32];
	snprintf(name, sizeof name, "recaller%d", atomic_fetch_add(&n, 1));
	if (pf_process_join_self(NULL, name) != 0) {
		tally->wrong++;
		return NULL;
	}
	for (int i = 0; i < IMPORTS_PER_CALLER && atomic_load(&redefining); i++) {
		pf_import *imp;
		/* Importing reads the definition too (is it private?). */
		if (pf_import_create(&imp, "re.sum", 0) != 0) {
			tally->failed++;   /* withdrawn while it restarts */
			sleep_us(200);
			continue;
		}
		long (*f)(long, long, long, long, long, long, long) =
			PF_GATE(long(long, long, long, long, long, long, long), imp);
		for (int k = 0; k < 20; k++) {
			long r = f(1, 2, 3, 4, 5, 6, 7);
			if (pf_errno() != 0)
				tally->failed++;
			else if (r == 28 || r == 1021)
				tally->ok++;
			else
				tally->wrong++;
		}
	}
	pf_thread_detach();
	return NULL;
}

/* Granting reads the definition too (only a private export takes grants),
 * with no call after it to order the read before the next export. */
static void *grant_all_along(void *arg)
{
	long *wrong = arg;
	if (pf_process_join_self(NULL, "regranter") != 0) {
		(*wrong)++;
		return NULL;
	}
	while (atomic_load(&redefining)) {
		int rc = pf_grant("re.sum", pf_self(), 0);
		if (rc != -EINVAL && rc != -ENOENT)   /* public, or withdrawn */
			(*wrong)++;
		sched_yield();
	}
	pf_thread_detach();
	return NULL;
}

static void export_defined_again_while_called_gives_whole_definitions(void **state)
{
	(void)state;
	pf_process *re;
	/* One thread: the thread that crashed restarts it, after it has
	 * withdrawn its exports. */
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	assert_int_equal(pf_process_create(&re, "re", &opts, redefining_init, NULL), 0);
	long (*die_now)(long) = PF_GATE(long(long), import_ok("re.die"));

	atomic_store(&redefining, true);
	pthread_t th[CALLERS], granter;
	static struct caller_tally tally[CALLERS];
	static long grants_wrong;
	for (int i = 0; i < CALLERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, import_and_call, &tally[i]), 0);
	assert_int_equal(pthread_create(&granter, NULL, grant_all_along, &grants_wrong), 0);
	/* Crash it, let it come back with the other definition, again. */
	for (int tries = 0; pf_process_crashes(re) < REDEFINITIONS; tries++) {
		assert_true(tries < 20 * REDEFINITIONS);
		die_now(1);   /* fails without crashing while it restarts */
		sleep_us(500);
	}
	atomic_store(&redefining, false);
	pthread_join(granter, NULL);
	assert_int_equal(grants_wrong, 0);
	long ok = 0;
	for (int i = 0; i < CALLERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(tally[i].wrong, 0);
		ok += tally[i].ok;
	}
	assert_true(ok > 0);
	assert_int_equal(pf_process_crashes(re), REDEFINITIONS);
	stop_server(re);
}

/* ---- deadlock detection while the holder keeps calling -------------------- */

/* busy.walk is not reentrant; while one call of it runs (and calls
 * leaf.inc over and over, so its thread's "waiting on" changes all the
 * time), calls of it from other processes find it held and check for a
 * cycle by walking that thread's waits. */
static pf_import *busy_leaf;

static long inc(long x) { return x + 1; }

static long walk(long n)
{
	long (*leaf)(long) = PF_GATE(long(long), busy_leaf);
	long s = 0;
	for (long i = 0; i < n; i++)
		s += leaf(i);
	return s;
}

static int busy_init(void *arg)
{
	(void)arg;
	int rc = pf_export("busy.walk", (void *)walk, PF_STACK_AUTO, 0);
	return rc ? rc : pf_import_create(&busy_leaf, "leaf.inc", 0);
}

#define WALKERS 3
#define WALKS   20
#define STEPS   100

static void *call_walk(void *arg)
{
	long *wrong = arg;
	static atomic_int n;
	char name[32];
	snprintf(name, sizeof name, "walker%d", atomic_fetch_add(&n, 1));
	if (pf_process_join_self(NULL, name) != 0) {
		(*wrong)++;
		return NULL;
	}
	pf_import *imp;
	if (pf_import_create(&imp, "busy.walk", 0) != 0) {
		(*wrong)++;
		pf_thread_detach();
		return NULL;
	}
	for (int i = 0; i < WALKS; i++) {
		long r = PF_GATE(long(long), imp)(STEPS);
		if (pf_errno() != 0 || r != STEPS * (STEPS + 1) / 2)
			(*wrong)++;
	}
	pf_thread_detach();
	return NULL;
}

static void held_export_walked_while_its_holder_calls_finds_no_cycle(void **state)
{
	(void)state;
	static const struct one_export leaf[] = {
		{ "leaf.inc", (void *)inc, PF_STACK_AUTO, PF_EXPORT_REENTRANT }, { 0 } };
	pf_process_options leaf_opts = { .threads = 2 }, busy_opts = { .threads = 2 };
	pf_process *leafp, *busy;
	assert_int_equal(pf_process_create(&leafp, "leaf", &leaf_opts, export_list_init,
					   (void *)leaf), 0);
	assert_int_equal(pf_process_create(&busy, "busy", &busy_opts, busy_init, NULL), 0);
	pthread_t th[WALKERS];
	static long wrong[WALKERS];
	for (int i = 0; i < WALKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, call_walk, &wrong[i]), 0);
	for (int i = 0; i < WALKERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(wrong[i], 0);
	}
	stop_server(busy);
	stop_server(leafp);
}

/* ---- a cycle closed the moment it can be ---------------------------------- */

/* ring0.f calls ring1.f calls ... ring5.f, which calls ring0.f again: none
 * is reentrant, so the last call can never run. Each waiting thread must
 * be seen waiting as soon as its call can be taken, or the check made when
 * ring5's call reaches the busy ring0.f may walk a chain that looks broken
 * (a thread in between not yet marked as waiting), park the call, and hang
 * the whole ring. Six members: four threads in between, four chances per
 * round to catch a late mark. */
#define RING 6
#define RING_ROUNDS 50

static pf_import *ring_next[RING];
static atomic_int ring_errno;

static long ring_hop(int i, long x)
{
	long r = PF_GATE(long(long), ring_next[i])(x);
	if (i == RING - 1)   /* back into the busy ring0.f */
		atomic_store(&ring_errno, pf_errno());
	return r;
}

static long ring_0(long x) { return ring_hop(0, x); }
static long ring_1(long x) { return ring_hop(1, x); }
static long ring_2(long x) { return ring_hop(2, x); }
static long ring_3(long x) { return ring_hop(3, x); }
static long ring_4(long x) { return ring_hop(4, x); }
static long ring_5(long x) { return ring_hop(5, x); }

static long (*const ring_fn[RING])(long) = { ring_0, ring_1, ring_2, ring_3, ring_4, ring_5 };

static int ring_init(void *arg)
{
	int i = (int)(intptr_t)arg;
	char export[16], next[16];
	snprintf(export, sizeof export, "ring%d.f", i);
	snprintf(next, sizeof next, "ring%d.f", (i + 1) % RING);
	int rc = pf_export(export, (void *)ring_fn[i], PF_STACK_AUTO, 0);
	/* The next member may not exist yet: bind at the first call. */
	return rc ? rc : pf_import_create(&ring_next[i], next, PF_IMPORT_LAZY);
}

static void cycle_of_six_processes_is_found_every_time(void **state)
{
	(void)state;
	pf_process *p[RING];
	for (int i = 0; i < RING; i++) {
		char name[16];
		snprintf(name, sizeof name, "ring%d", i);
		assert_int_equal(pf_process_create(&p[i], name, NULL, ring_init,
						   (void *)(intptr_t)i), 0);
	}
	pf_import *imp = import_ok("ring0.f");
	/* A missed cycle hangs the ring: fail instead of hanging with it. */
	assert_int_equal(pf_import_set_timeout(imp, 10000000000LL), 0);
	for (int i = 0; i < RING_ROUNDS; i++) {
		atomic_store(&ring_errno, 0);
		assert_int_equal(PF_GATE(long(long), imp)(i), 0);
		assert_int_equal(pf_errno(), 0);
		assert_int_equal(atomic_load(&ring_errno), -EDEADLK);
	}
	for (int i = 0; i < RING; i++)
		stop_server(p[i]);
}

/* ---- threads that join and decode at the same moment ---------------------- */

#define JOINERS 8

static atomic_int joined;
static atomic_bool joiners_go;

static void *join_and_call(void *arg)
{
	long *wrong = arg;
	static atomic_int n;
	char name[32];
	snprintf(name, sizeof name, "joiner%d", atomic_fetch_add(&n, 1));
	atomic_fetch_add(&joined, 1);
	while (!atomic_load(&joiners_go))
		sched_yield();
	/* All join at once: each opens its decoder now. */
	pf_import *imp;
	if (pf_process_join_self(NULL, name) != 0 ||
	    pf_import_create(&imp, "jn.add", 0) != 0) {
		(*wrong)++;
		return NULL;
	}
	/* The decode cache is off (main): every call asks Capstone, on this
	 * thread's own decoder, in both shapes. */
	long (*const *slot)(long, long) = PF_SLOT(long(long, long), imp);
	long (*gate)(long, long) = PF_GATE(long(long, long), imp);
	for (long i = 0; i < 50; i++)
		if ((*slot)(i, 1) != i + 1 || gate(i, 2) != i + 2 || pf_errno() != 0)
			(*wrong)++;
	pf_thread_detach();
	return NULL;
}

static long add(long a, long b) { return a + b; }

static void threads_joining_at_once_all_decode_their_calls(void **state)
{
	(void)state;
	static const struct one_export jn[] = {
		{ "jn.add", (void *)add, PF_STACK_AUTO, PF_EXPORT_REENTRANT }, { 0 } };
	pf_process_options opts = { .threads = 2 };
	pf_process *server;
	assert_int_equal(pf_process_create(&server, "jn", &opts, export_list_init, (void *)jn), 0);
	pthread_t th[JOINERS];
	static long wrong[JOINERS];
	for (int i = 0; i < JOINERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, join_and_call, &wrong[i]), 0);
	while (atomic_load(&joined) < JOINERS)
		sched_yield();
	atomic_store(&joiners_go, true);
	for (int i = 0; i < JOINERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(wrong[i], 0);
	}
	stop_server(server);
}

int main(void)
{
	/* Read once, at pf_init: from here on every fault decodes afresh. */
	setenv("PFIPC_DECODE_CACHE", "0", 1);
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(export_defined_again_while_called_gives_whole_definitions),
		cmocka_unit_test(held_export_walked_while_its_holder_calls_finds_no_cycle),
		cmocka_unit_test(cycle_of_six_processes_is_found_every_time),
		cmocka_unit_test(threads_joining_at_once_all_decode_their_calls),
	};
	int failed = cmocka_run_group_tests_name("races", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
