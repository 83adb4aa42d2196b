/* The call path allocates nothing, from the first call on (Capstone's
 * first decode included): malloc and friends are interposed and counted
 * across 10,000 calls in each call shape. */
#include <stdatomic.h>
#include <stdio.h>
#include "../common.h"
#include "../sanitizers.h"

#include "../alloc_count.h"
#ifndef PF_TEST_SANITIZER_OWNS_MALLOC

static long add(long a, long b) { return a + b; }

static void ten_thousand_calls_allocate_nothing(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "na.add", (void *)add, PF_STACK_AUTO, 0 },
						{ "nm.add", (void *)add, PF_STACK_AUTO, PF_EXPORT_MIGRATE }, { 0 } };
	pf_process *server = start_server("na", ex);
	long (*gate)(long, long) = PF_GATE(long(long, long), import_ok("na.add"));
	long (*const *slot)(long, long) = PF_SLOT(long(long, long), import_ok("na.add"));
	long (*mig)(long, long) = PF_GATE(long(long, long), import_ok("nm.add"));
	/* No warm-up: the first call of each shape decodes with Capstone, in
	 * the fault handler, and must not allocate either. */
	long before = atomic_load(&allocations), sum = 0;
	assert_true(before > 0);   /* the counting malloc is really in use */
	for (long i = 0; i < 10000; i++)
		sum += gate(i, 1) + (*slot)(i, 2) + mig(i, 3);
	long after = atomic_load(&allocations);
	assert_int_equal(sum, 3 * (9999L * 10000 / 2) + 10000L * 6);
	assert_int_equal(after - before, 0);
	stop_server(server);
}

/* Asynchronous and one-way calls travel in heap messages that are kept for
 * reuse: once a first batch has reached the number in flight, later
 * batches of the same size allocate nothing. */
#define BATCH 100

static void batches(long (*async)(long, long), long (*oneway)(long, long),
		    long (*sync)(long, long), int rounds)
{
	for (int r = 0; r < rounds; r++) {
		uint64_t tickets[BATCH];
		for (long i = 0; i < BATCH; i++)
			tickets[i] = (uint64_t)async(i, 1);
		for (long i = 0; i < BATCH; i++) {
			pf_result res;
			assert_int_equal(pf_wait(tickets[i], -1, &res), 0);
			assert_int_equal((long)res.rax, i + 1);
		}
		for (long i = 0; i < BATCH; i++)
			assert_int_equal(oneway(i, 1), 0);
		/* FIFO: once this returns, the one-way calls before it ran. */
		assert_int_equal(sync(1, 1), 2);
	}
}

static void async_and_oneway_calls_allocate_nothing_after_a_first_batch(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "nb.add", (void *)add, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *server = start_server("nb", ex);
	pf_import *ai, *oi;
	assert_int_equal(pf_import_create(&ai, "nb.add", PF_IMPORT_ASYNC), 0);
	assert_int_equal(pf_import_create(&oi, "nb.add", PF_IMPORT_ONEWAY), 0);
	long (*async)(long, long) = PF_GATE(long(long, long), ai);
	long (*oneway)(long, long) = PF_GATE(long(long, long), oi);
	long (*sync)(long, long) = PF_GATE(long(long, long), import_ok("nb.add"));
	batches(async, oneway, sync, 1);
	long before = atomic_load(&allocations);
	batches(async, oneway, sync, 50);   /* 10,000 calls */
	assert_int_equal(atomic_load(&allocations) - before, 0);
	stop_server(server);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ten_thousand_calls_allocate_nothing),
		cmocka_unit_test(async_and_oneway_calls_allocate_nothing_after_a_first_batch),
	};
	int failed = cmocka_run_group_tests_name("no allocation", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
#endif
