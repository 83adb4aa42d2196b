/* Every entry is a call like a gate call: the same results on the same
 * thread, call numbers and their table, asynchronous and one-way calls,
 * crashes contained, the caller's identity, nesting and callbacks, and the
 * refusal of another process's import, through each entry kind, message
 * passing and migrating. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../common.h"

typedef long fn2(long, long);

static bool sud;   /* syscall and int $0x80 entries work on this machine */

static bool kind_works(unsigned kind)
{
	return sud || (kind != PF_ENTRY_SYSCALL && kind != PF_ENTRY_INT80);
}

#define FOR_EACH_KIND(k) \
	for (unsigned k = PF_ENTRY_GATE; k <= PF_ENTRY_INT80; k++) if (kind_works(k))

static void *entry(pf_import *imp, unsigned kind)
{
	void *e = NULL;
	assert_int_equal(pf_import_entry(imp, kind, &e), 0);
	assert_non_null(e);
	return e;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Less than SECONDS since START? Waits allow a minute: a loaded machine
 * may keep a server thread off the CPU for a long time. */
static bool within(const struct timespec *start, long seconds)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec < seconds;
}

/* ---- exports ------------------------------------------------------------ */

static _Atomic pid_t ran_on;
static _Atomic long oneway_sum;
static long *volatile wild = (long *)16;

static long add(long a, long b) { ran_on = gettid(); return a * 100 + b; }
static long note(long a, long b) { atomic_fetch_add(&oneway_sum, a + b); return 0; }
static long crash(long a, long b) { *wild = a + b; return 0; }
static long who(long a, long b) { (void)a; (void)b; return (long)(uintptr_t)pf_caller(); }

/* The client's own export, for callbacks. */
static long client_twice(long a, long b) { return 2 * (a + b); }

/* Exports of the middle process: they call on through the entry kind
 * their first argument names. */
static pf_import *mid_back, *mid_who;
static long mid_call_back(long kind, long x)
{
	fn2 *f = entry(mid_back, (unsigned)kind);
	long r = f(x, 1);
	return pf_errno() ? pf_errno() : r;
}
static long mid_who_calls(long kind, long x)
{
	(void)x;
	fn2 *f = entry(mid_who, (unsigned)kind);
	pf_process *seen = (pf_process *)(uintptr_t)f(0, 0);
	/* What C saw, and that this export still sees its own caller. */
	return seen == pf_self() && pf_caller() == pf_process_find("client") ? 1 : -1;
}
/* Calls through the stub (or number) of an import of another process. */
static long mid_use_foreign(long stub, long x)
{
	long r = ((fn2 *)(uintptr_t)stub)(x, x);
	return r == 0 && pf_errno() == -EPERM ? 1 : -1;
}
static int mid_init(void *arg)
{
	(void)arg;
	int rc = pf_import_create(&mid_back, "cl.twice", 0);
	if (!rc)
		rc = pf_import_create(&mid_who, "ent.who", 0);
	if (!rc)
		rc = pf_export("mid.call_back", (void *)mid_call_back, 0, 0);
	if (!rc)
		rc = pf_export("mid.who_calls", (void *)mid_who_calls, 0, 0);
	if (!rc)
		rc = pf_export("mid.use_foreign", (void *)mid_use_foreign, 0, 0);
	return rc;
}

static const struct one_export server_exports[] = {
	{ "ent.add", (void *)add, 0, 0 },
	{ "ent.add_mig", (void *)add, 0, PF_EXPORT_MIGRATE },
	{ "ent.note", (void *)note, 0, 0 },
	{ "ent.who", (void *)who, 0, 0 },
	{ 0 },
};
static const struct one_export crash_exports[] = {
	{ "boom.crash", (void *)crash, 0, 0 },
	{ "boom.crash_mig", (void *)crash, 0, PF_EXPORT_MIGRATE },
	{ "boom.add", (void *)add, 0, 0 },
	{ 0 },
};

static pf_process *client, *server, *boom, *mid;

static int setup(void **state)
{
	(void)state;
	sud = pf_entry_enable(PF_ENTRY_SYSCALL) == 0;
	assert_int_equal(pf_export("cl.twice", (void *)client_twice, 0, 0), 0);
	server = start_server("ent", server_exports);
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	assert_int_equal(pf_process_create(&boom, "boom", &opts, export_list_init,
					   (void *)crash_exports), 0);
	assert_int_equal(pf_process_create(&mid, "mid", NULL, mid_init, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server(mid);
	stop_server(boom);
	stop_server(server);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void every_entry_runs_the_export_where_a_gate_call_would(void **state)
{
	(void)state;
	pf_import *msg = import_ok("ent.add"), *mig = import_ok("ent.add_mig");
	FOR_EACH_KIND(kind) {
		ran_on = 0;
		assert_int_equal(((fn2 *)entry(msg, kind))(4, 2), 402);
		assert_int_equal(pf_errno(), 0);
		assert_int_not_equal(ran_on, gettid());   /* on the server */
		ran_on = 0;
		assert_int_equal(((fn2 *)entry(mig, kind))(-4, 2), -398);
		assert_int_equal(ran_on, gettid());       /* on the caller */
	}
}

static void entries_of_an_import_are_one_stub_each_and_stay_put(void **state)
{
	(void)state;
	pf_import *a = import_ok("ent.add"), *b = import_ok("ent.add");
	FOR_EACH_KIND(kind) {
		assert_ptr_equal(entry(a, kind), entry(a, kind));
		assert_ptr_not_equal(entry(a, kind), entry(b, kind));
	}
	assert_ptr_equal(entry(a, PF_ENTRY_GATE), pf_import_gate(a));
	void *e;
	assert_int_equal(pf_import_entry(a, PF_ENTRY_INT80 + 1, &e), -EINVAL);
	assert_int_equal(pf_import_entry(NULL, PF_ENTRY_TRAP, &e), -EINVAL);
	assert_null(PF_ENTRY(fn2, a, 99));
}

static void call_numbers_are_unique_and_the_table_lists_them(void **state)
{
	(void)state;
	pf_import *a = import_ok("ent.add"), *b = import_ok("ent.who");
	int na = pf_import_number(a), nb = pf_import_number(b);
	assert_true(na >= 0x10000000 && nb >= 0x10000000);
	assert_int_not_equal(na, nb);
	assert_int_equal(pf_import_number(NULL), -EINVAL);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rows = pf_call_table_print(f);
	fclose(f);
	assert_true(rows >= 2);
	char line[160];
	snprintf(line, sizeof line, "%#-10x  %-16s  %-40s  %s\n", na, "client", "ent.add", "ent");
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof line, "%#x  %-16s  %-40s  %s\n", pf_import_number(mid_back), "mid",
		 "cl.twice", "client");
	assert_non_null(strstr(text, line));
	assert_non_null(strstr(text, "number"));
	free(text);
	assert_int_equal(pf_call_table_print(NULL), -EINVAL);
}

static void asynchronous_calls_through_every_entry_return_tickets(void **state)
{
	(void)state;
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "ent.add", PF_IMPORT_ASYNC), 0);
	FOR_EACH_KIND(kind) {
		uint64_t (*f)(long, long) = entry(imp, kind);
		uint64_t t1 = f(1, (long)kind), t2 = f(2, (long)kind);
		assert_int_not_equal(t1, 0);
		assert_int_not_equal(t1, t2);
		pf_result r;
		assert_int_equal(pf_wait(t2, -1, &r), 0);
		assert_int_equal(r.rax, 200 + kind);
		assert_int_equal(pf_wait(t1, -1, &r), 0);
		assert_int_equal(r.rax, 100 + kind);
	}
}

static void one_way_calls_through_every_entry_return_at_once(void **state)
{
	(void)state;
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "ent.note", PF_IMPORT_ONEWAY), 0);
	long want = 0;
	FOR_EACH_KIND(kind) {
		fn2 *f = entry(imp, kind);
		assert_int_equal(f(10, (long)kind), 0);
		assert_int_equal(pf_errno(), 0);
		want += 10 + kind;
	}
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (atomic_load(&oneway_sum) != want && within(&start, 60))
		sleep_ms(1);
	assert_int_equal(atomic_load(&oneway_sum), want);
}

/* After a crash, calls fail with EOWNERDEAD until the restart is done. */
static void wait_restarted(pf_import *fine)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (within(&start, 60)) {
		if (PF_GATE(fn2, fine)(0, 7) == 7 && pf_errno() == 0)
			return;
		sleep_ms(1);
	}
	fail_msg("boom did not restart within a minute");
}

static void a_crash_through_every_entry_is_contained(void **state)
{
	(void)state;
	pf_import *msg = import_ok("boom.crash"), *mig = import_ok("boom.crash_mig");
	pf_import *fine = import_ok("boom.add");
	unsigned crashes = pf_process_crashes(boom);
	FOR_EACH_KIND(kind) {
		for (int m = 0; m < 2; m++) {
			fn2 *f = entry(m ? mig : msg, kind);
			assert_int_equal(f(1, 2), 0);
			assert_int_equal(pf_errno(), -EOWNERDEAD);
			/* The server fails the call, then counts the crash. */
			++crashes;
			struct timespec start;
			clock_gettime(CLOCK_MONOTONIC, &start);
			while (pf_process_crashes(boom) != crashes && within(&start, 60))
				sleep_ms(1);
			assert_int_equal(pf_process_crashes(boom), crashes);
			wait_restarted(fine);
		}
	}
}

static void the_callee_sees_its_caller_through_every_entry(void **state)
{
	(void)state;
	pf_import *w = import_ok("ent.who"), *mw = import_ok("mid.who_calls");
	FOR_EACH_KIND(kind) {
		assert_ptr_equal((pf_process *)(uintptr_t)((fn2 *)entry(w, kind))(0, 0), client);
		/* client -> mid -> ent: ent sees mid, mid still sees client. */
		assert_int_equal(((fn2 *)entry(mw, kind))((long)kind, 0), 1);
	}
}

static void calls_nest_and_call_back_through_every_entry(void **state)
{
	(void)state;
	pf_import *cb = import_ok("mid.call_back");
	FOR_EACH_KIND(outer) {
		FOR_EACH_KIND(inner) {
			/* client -> mid (outer) -> client's cl.twice (inner), served
			 * by the client's thread while it waits. */
			assert_int_equal(((fn2 *)entry(cb, outer))((long)inner, 20), 42);
			assert_int_equal(pf_errno(), 0);
		}
	}
}

static void another_process_calling_through_an_entry_gets_eperm(void **state)
{
	(void)state;
	pf_import *mine = import_ok("ent.add"), *uf = import_ok("mid.use_foreign");
	FOR_EACH_KIND(kind) {
		long stub = (long)(uintptr_t)entry(mine, kind);
		assert_int_equal(((fn2 *)entry(uf, kind))(stub, 3), 1);
	}
}

int main(void)
{
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_entry_runs_the_export_where_a_gate_call_would),
		cmocka_unit_test(entries_of_an_import_are_one_stub_each_and_stay_put),
		cmocka_unit_test(call_numbers_are_unique_and_the_table_lists_them),
		cmocka_unit_test(asynchronous_calls_through_every_entry_return_tickets),
		cmocka_unit_test(one_way_calls_through_every_entry_return_at_once),
		cmocka_unit_test(a_crash_through_every_entry_is_contained),
		cmocka_unit_test(the_callee_sees_its_caller_through_every_entry),
		cmocka_unit_test(calls_nest_and_call_back_through_every_entry),
		cmocka_unit_test(another_process_calling_through_an_entry_gets_eperm),
	};
	int failed = cmocka_run_group_tests_name("entries", tests, setup, teardown);
	pf_thread_detach();
	return failed;
}
