/* Calls through every entry allocate nothing, from the first call on:
 * malloc and friends are interposed and counted across 10,000 calls
 * through each entry kind, message passing and migrating. (Writing a
 * process's stubs, when pf_import_entry first hands one out, may.) */
#include <stdatomic.h>
#include <stdbool.h>
#include "../common.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static atomic_long allocations;

void *malloc(size_t n) { atomic_fetch_add(&allocations, 1); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add(&allocations, 1); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add(&allocations, 1); return __libc_realloc(p, n); }

static long add(long a, long b) { return a + b; }

static void ten_thousand_calls_through_each_entry_allocate_nothing(void **state)
{
	(void)state;
	bool sud = pf_entry_enable(PF_ENTRY_SYSCALL) == 0;
	static const struct one_export ex[] = { { "ea.add", (void *)add, 0, 0 },
						{ "ea.mig", (void *)add, 0, PF_EXPORT_MIGRATE }, { 0 } };
	pf_process *server = start_server("ea", ex);
	pf_import *msg = import_ok("ea.add"), *mig = import_ok("ea.mig");
	long (*f[12])(long, long);
	unsigned n = 0;
	for (unsigned kind = PF_ENTRY_GATE; kind <= PF_ENTRY_INT80; kind++) {
		if (!sud && (kind == PF_ENTRY_SYSCALL || kind == PF_ENTRY_INT80))
			continue;
		f[n++] = PF_ENTRY(long(long, long), msg, kind);
		f[n++] = PF_ENTRY(long(long, long), mig, kind);
	}
	long before = atomic_load(&allocations), sum = 0;
	assert_true(before > 0);   /* the counting malloc is really in use */
	for (unsigned k = 0; k < n; k++)
		for (long i = 0; i < 10000; i++)
			sum += f[k](i, 1);
	long after = atomic_load(&allocations);
	assert_int_equal(sum, (long)n * (9999L * 10000 / 2 + 10000));
	assert_int_equal(after - before, 0);
	stop_server(server);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ten_thousand_calls_through_each_entry_allocate_nothing),
	};
	int failed = cmocka_run_group_tests_name("no allocation through entries", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
