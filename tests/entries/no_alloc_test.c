/* Calls through every entry allocate nothing: malloc and friends are
 * interposed and counted across 2,000 synchronous calls through each
 * entry kind, message passing and 2,000 migrating (from the first call
 * on), and
 * 1,000 asynchronous and 1,000 one-way calls through each (after a first
 * batch that sized the pool of their messages). Writing a process's stubs, when
 * pf_import_entry first hands one out, may allocate. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include "../common.h"
#include "../sanitizers.h"

#include "../alloc_count.h"
#ifndef PF_TEST_SANITIZER_OWNS_MALLOC

static long add(long a, long b) { return a + b; }

typedef long fn2(long, long);

/* The kinds this machine has, with a stub of IMP for each. */
static unsigned stubs_of(pf_import *imp, fn2 **out)
{
	bool sud = pf_entry_enable(PF_ENTRY_SYSCALL) == 0;
	unsigned n = 0;
	for (unsigned kind = PF_ENTRY_GATE; kind <= PF_ENTRY_INT80; kind++)
		if (sud || (kind != PF_ENTRY_SYSCALL && kind != PF_ENTRY_INT80))
			out[n++] = PF_ENTRY(fn2, imp, kind);
	return n;
}

static void calls_through_each_entry_allocate_nothing(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "ea.add", (void *)add, PF_STACK_AUTO, 0 },
						{ "ea.mig", (void *)add, PF_STACK_AUTO, PF_EXPORT_MIGRATE }, { 0 } };
	pf_process *server = start_server("ea", ex);
	fn2 *msg[6], *mig[6];
	unsigned n = stubs_of(import_ok("ea.add"), msg);
	stubs_of(import_ok("ea.mig"), mig);
	long before = atomic_load(&allocations), sum = 0;
	assert_true(before > 0);   /* the counting malloc is really in use */
	for (unsigned k = 0; k < n; k++)
		for (long i = 0; i < 2000; i++)
			sum += msg[k](i, 1) + mig[k](i, 2);
	long after = atomic_load(&allocations);
	assert_int_equal(sum, (long)n * (2 * (1999L * 2000 / 2) + 6000));
	assert_int_equal(after - before, 0);
	stop_server(server);
}

#define BATCH 100

static void batches(unsigned n, fn2 **async, fn2 **oneway, fn2 *sync, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		for (unsigned k = 0; k < n; k++) {
			uint64_t tickets[BATCH];
			for (long i = 0; i < BATCH; i++)
				tickets[i] = (uint64_t)async[k](i, 1);
			for (long i = 0; i < BATCH; i++) {
				pf_result res;
				assert_int_equal(pf_wait(tickets[i], -1, &res), 0);
				assert_int_equal((long)res.rax, i + 1);
			}
			for (long i = 0; i < BATCH; i++)
				assert_int_equal(oneway[k](i, 1), 0);
			/* FIFO: once this returns, the one-way calls ran. */
			assert_int_equal(sync(1, 1), 2);
		}
	}
}

static void async_and_oneway_calls_through_each_entry_allocate_nothing(void **state)
{
	(void)state;
	static const struct one_export ex[] = { { "eb.add", (void *)add, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *server = start_server("eb", ex);
	pf_import *ai, *oi;
	assert_int_equal(pf_import_create(&ai, "eb.add", PF_IMPORT_ASYNC), 0);
	assert_int_equal(pf_import_create(&oi, "eb.add", PF_IMPORT_ONEWAY), 0);
	fn2 *async[6], *oneway[6];
	unsigned n = stubs_of(ai, async);
	stubs_of(oi, oneway);
	fn2 *sync = PF_GATE(fn2, import_ok("eb.add"));
	batches(n, async, oneway, sync, 1);
	long before = atomic_load(&allocations);
	batches(n, async, oneway, sync, 10);   /* 1,000 of each per entry */
	assert_int_equal(atomic_load(&allocations) - before, 0);
	stop_server(server);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calls_through_each_entry_allocate_nothing),
		cmocka_unit_test(async_and_oneway_calls_through_each_entry_allocate_nothing),
	};
	int failed = cmocka_run_group_tests_name("no allocation through entries", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
#endif
