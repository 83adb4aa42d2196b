/* A crash inside an export kills only that simulated process: its callers
 * get -EOWNERDEAD, everyone else keeps running, and a process with a
 * restart policy comes back. Run twice: the second time every process it
 * creates is isolated (tests/isolated.h), and a crash ends its OS
 * process. */
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../common.h"
#include "../sanitizers.h"
#include "../death.h"
#include "../x87.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static long *volatile wild = (long *)16;   /* not NULL: a distinct address */

/* What the test and its servers both see, isolated or not. */
static struct shared {
	atomic_int crash_budget;
	atomic_int incarnation;
	sem_t restart_gate;
} *sh;

static long segv(long x) { sleep_ms(x); *wild = x; return x; }
/* The division by zero is the point (and must reach the CPU). */
__attribute__((no_sanitize("undefined")))
static long fpe(long x) { volatile long zero = 0; sleep_ms(x); return x / zero; }
static long ill(long x) { sleep_ms(x); __builtin_trap(); }
static long bus(long x)
{
	sleep_ms(x);
	int fd = memfd_create("empty", 0);   /* size 0: any access is SIGBUS */
	volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	return p[0];
}
#pragma GCC diagnostic ignored "-Winfinite-recursion"
PF_TEST_NOT_INSTRUMENTED
static long deep(long x)
{
	volatile char pad[4096];
	pad[0] = (char)x;
	return deep(x + 1) + pad[0];
}
static long overflow(long x) { sleep_ms(x); return deep(x); }
static long fine(long x) { return x + 1; }

static const struct one_export victims[] = {
	{ "victim.segv", (void *)segv, PF_STACK_AUTO, 0 }, { "victim.fpe", (void *)fpe, PF_STACK_AUTO, 0 },
	{ "victim.ill", (void *)ill, PF_STACK_AUTO, 0 },   { "victim.bus", (void *)bus, PF_STACK_AUTO, 0 },
	{ "victim.overflow", (void *)overflow, PF_STACK_AUTO, 0 },
	{ "victim.fine", (void *)fine, PF_STACK_AUTO, 0 }, { 0 } };
static const struct one_export bystanders[] = { { "bystander.fine", (void *)fine, PF_STACK_AUTO, 0 }, { 0 } };

/* Crash NAME while 3 more calls wait in its queue: all 4 callers get
 * -EOWNERDEAD, nobody hangs, a bystander process is untouched. */
static void contained(const char *name)
{
	pf_process *victim = start_server("victim", victims);
	pf_process *bystander = start_server("bystander", bystanders);
	pf_import *imp, *other = import_ok("victim.fine");
	assert_int_equal(pf_import_create(&imp, name, PF_IMPORT_ASYNC), 0);
	uint64_t (*f)(long) = PF_GATE(uint64_t(long), imp);
	uint64_t tickets[4];
	for (int i = 0; i < 4; i++)
		tickets[i] = f(i == 0 ? 50 : 0);   /* the first crashes after 50 ms */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pf_wait(tickets[i], 5000000000, NULL), -EOWNERDEAD);
	assert_int_equal(pf_process_crashes(victim), 1);
	/* A synchronous call to the dead process fails the same way. */
	assert_int_equal(PF_GATE(long(long), other)(1), 0);
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	assert_int_equal(PF_GATE(long(long), import_ok("bystander.fine"))(1), 2);
	assert_int_equal(pf_errno(), 0);
	stop_server(victim);
	stop_server(bystander);
}

static void sigsegv_in_export_is_contained(void **s) { (void)s; contained("victim.segv"); }
static void sigfpe_in_export_is_contained(void **s) { (void)s; contained("victim.fpe"); }
static void sigill_in_export_is_contained(void **s) { (void)s; contained("victim.ill"); }
static void sigbus_in_export_is_contained(void **s) { (void)s; contained("victim.bus"); }
static void stack_overflow_in_export_is_contained(void **s) { (void)s; contained("victim.overflow"); }

/* ---- restart under load ------------------------------------------------------ */

#define CRASHES 100

static atomic_int deaths_seen;   /* told in the program, isolated or not */

static long flaky(long x)
{
	/* Every 7th call crashes, until 100 crashes have happened. */
	if (x % 7 == 0 && atomic_fetch_sub(&sh->crash_budget, 1) > 0)
		*wild = x;
	return x * 2;
}

static int flaky_init(void *arg)
{
	(void)arg;
	return pf_export("flaky.twice", (void *)flaky, PF_STACK_AUTO, 0);
}

static void on_death(pf_process *p, int why, void *arg)
{
	(void)p;
	(void)arg;
	if (why == PF_DIED_CRASHED)
		atomic_fetch_add(&deaths_seen, 1);
}

struct tally {
	pf_process *client;
	long calls, ok, crashed, wrong;
};

static void *hammer(void *argp)
{
	struct tally *t = argp;
	char name[16];
	static atomic_int n;
	snprintf(name, sizeof name, "hammer%d", atomic_fetch_add(&n, 1));
	pf_process_join_self(NULL, name);
	pf_import *imp;
	if (pf_import_create(&imp, "flaky.twice", 0))
		return NULL;
	long (*f)(long) = PF_GATE(long(long), imp);
	for (long x = 1; atomic_load(&deaths_seen) < CRASHES || x < 1000; x++) {
		long r = f(x);
		t->calls++;
		if (pf_errno() == 0 && r == 2 * x)
			t->ok++;
		else if (pf_errno() == -EOWNERDEAD && r == 0)
			t->crashed++;
		else
			t->wrong++;
	}
	pf_thread_detach();
	return NULL;
}

static void server_crashed_100_times_with_restart_answers_every_call(void **state)
{
	(void)state;
	atomic_store(&sh->crash_budget, CRASHES);
	atomic_store(&deaths_seen, 0);
	pf_process *flaky_p;
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	assert_int_equal(test_process_create(&flaky_p, "flaky", &opts, flaky_init, NULL), 0);
	assert_int_equal(pf_process_watch(flaky_p, on_death, NULL), 0);
	pthread_t th[2];
	struct tally tally[2] = { { 0 }, { 0 } };
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer, &tally[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	long calls = 0, ok = 0, crashed = 0;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tally[i].wrong, 0);
		calls += tally[i].calls;
		ok += tally[i].ok;
		crashed += tally[i].crashed;
	}
	assert_int_equal(ok + crashed, calls);   /* none lost */
	assert_true(crashed >= CRASHES);         /* each crash failed >= 1 call */
	assert_int_equal(pf_process_crashes(flaky_p), CRASHES);
	assert_int_equal(atomic_load(&deaths_seen), CRASHES);
	/* The last incarnation still serves (once it has exported again:
	 * the last crash may have been a moment ago). */
	pf_import *last;
	assert_int_equal(pf_import_create(&last, "flaky.twice", PF_IMPORT_LAZY), 0);
	assert_int_equal(PF_GATE(long(long), last)(8), 16);
	stop_server(flaky_p);
}

/* A crash with values on the x87 stack: they must not outlive it on the
 * thread that serves the next incarnation. */
static long x87_then_crash(long x)
{
	__asm__ volatile("fld1\n\tfchs\n\tfldl2t\n\tfldpi" : : : "memory");
	*wild = x;
	return x;
}
static long x87_count(long x) { (void)x; return x87_in_use(); }

static void crash_with_x87_values_leaves_next_call_x87_empty(void **state)
{
	(void)state;
	static const struct one_export ex[] = {
		{ "x87crash.crash", (void *)x87_then_crash, PF_STACK_AUTO, 0 },
		{ "x87crash.count", (void *)x87_count, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process *p;
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	assert_int_equal(test_process_create(&p, "x87crash", &opts, export_list_init, (void *)ex), 0);
	long (*crash)(long) = PF_GATE(long(long), import_ok("x87crash.crash"));
	long (*count)(long) = PF_GATE(long(long), import_ok("x87crash.count"));
	for (int i = 0; i < 10; i++) {
		crash(1);
		assert_int_equal(pf_errno(), -EOWNERDEAD);
		assert_int_equal(x87_in_use(), 0);
		/* Calls made while it restarts fail too; the first that
		 * reaches the new incarnation counts. */
		long n = -1;
		for (int tries = 0; tries < 1000 && n < 0; tries++) {
			long r = count(0);
			if (pf_errno() == 0)
				n = r;
			else
				sleep_ms(1);
		}
		assert_int_equal(n, 0);
	}
	stop_server(p);
}

/* ---- what a call sees of a restart --------------------------------------- */


/* Two processes crash here at once: see PF_TEST_NOT_INSTRUMENTED. */
PF_TEST_NOT_INSTRUMENTED
static long crash_now(long x) { *wild = x; return x; }

/* The first incarnation exports "phoenix.crash"; later ones wait at the
 * gate, then export only "phoenix.other": the name is unowned while the
 * process restarts, and stays unowned after. */
static int phoenix_init(void *arg)
{
	(void)arg;
	if (atomic_fetch_add(&sh->incarnation, 1) == 0)
		return pf_export("phoenix.crash", (void *)crash_now, PF_STACK_AUTO, 0);
	while (sem_wait(&sh->restart_gate) != 0)
		;
	return pf_export("phoenix.other", (void *)fine, PF_STACK_AUTO, 0);
}

static void call_during_and_after_a_restart_fails_eownerdead_not_esrch(void **state)
{
	(void)state;
	atomic_store(&sh->incarnation, 0);
	sem_init(&sh->restart_gate, 1, 0);   /* across OS processes */
	pf_process *p;
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	assert_int_equal(test_process_create(&p, "phoenix", &opts, phoenix_init, NULL), 0);
	long (*crash)(long) = PF_GATE(long(long), import_ok("phoenix.crash"));
	crash(1);
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	/* Restarting (its init waits at the gate): the name has no owner. */
	while (atomic_load(&sh->incarnation) < 2)
		sleep_ms(1);
	crash(1);
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	/* Restarted: the process runs again, and the name has no owner still
	 * — a call that raced the restart sees exactly this. */
	sem_post(&sh->restart_gate);
	pf_import *other_imp;
	assert_int_equal(pf_import_create(&other_imp, "phoenix.other", PF_IMPORT_LAZY), 0);
	long (*other)(long) = PF_GATE(long(long), other_imp);
	for (int tries = 0; other(1) != 2; tries++) {
		assert_true(tries < 5000);
		sleep_ms(1);
	}
	crash(1);
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	assert_non_null(strstr(pf_error_message(), "crashed"));
	/* Only a process that really stopped makes it -ESRCH. */
	stop_server(p);
	crash(1);
	assert_int_equal(pf_errno(), -ESRCH);
	sem_destroy(&sh->restart_gate);
}

/* ---- one line per crash, whole ------------------------------------------ */

#define LINE_CRASHES 1000

struct crasher {
	const char *name;
	pf_process *p;
};

static void *crash_many(void *arg)
{
	struct crasher *c = arg;
	char process[16];
	snprintf(process, sizeof process, "%s-c", c->name);
	pf_process_join_self(NULL, process);
	char export[32];
	snprintf(export, sizeof export, "%s.crash", c->name);
	pf_import *imp;
	if (pf_import_create(&imp, export, PF_IMPORT_LAZY))
		_exit(3);
	long (*crash)(long) = PF_GATE(long(long), imp);
	while (pf_process_crashes(c->p) < LINE_CRASHES)
		crash(1);
	return NULL;
}

static int lines_init(void *arg)
{
	char export[32];
	snprintf(export, sizeof export, "%s.crash", (const char *)arg);
	return pf_export(export, (void *)crash_now, PF_STACK_AUTO, 0);
}

/* Two processes crash 1000 times each at once, in a child whose stderr is a
 * pipe; the parent reads the lines. */
static void two_crashing_processes(void)
{
	static struct crasher c[2] = { { "linea", NULL }, { "lineb", NULL } };
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		if (test_process_create(&c[i].p, c[i].name, &opts, lines_init, (void *)c[i].name))
			_exit(2);
		pthread_create(&th[i], NULL, crash_many, &c[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
}

static void crash_lines_from_two_processes_never_merge(void **state)
{
	(void)state;
#ifdef PF_TEST_THREAD_SANITIZER
	/* Isolated, the program has a watcher thread when it forks, and the
	 * child starts threads: ThreadSanitizer does not support that (it
	 * dies, or with die_after_fork=0 reports its own thread ids reused). */
	if (test_isolated()) {
		print_message("skipped: ThreadSanitizer cannot run threads in a child "
			      "forked from a threaded program\n");
		skip();
	}
#endif
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	/* The child's stderr is the pipe from its first moment: its isolated
	 * processes have the descriptors it had when it was forked. */
	int saved = dup(2);
	dup2(fds[1], 2);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		close(saved);
		two_crashing_processes();
		_exit(0);
	}
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	static char text[1 << 20];
	size_t n = 0;
	ssize_t r;
	while ((r = read(fds[0], text + n, sizeof text - 1 - n)) > 0)
		n += (size_t)r;
	text[n] = '\0';
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	int lines = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		bool whole = strncmp(line, "pfipc: process \"line", 20) == 0 &&
			     strstr(line, "\" crashed in \"line") &&
			     strlen(line) > 26 &&
			     strcmp(line + strlen(line) - 26, "its callers get EOWNERDEAD") == 0 &&
			     !strstr(line + 1, "pfipc:");
		if (!whole)
			fail_msg("a merged or broken line: %s", line);
		lines++;
	}
	assert_int_equal(lines, 2 * LINE_CRASHES);
}

int main(void)
{
	pf_process *client;
	if (!(sh = test_shared(sizeof *sh)))
		return 1;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	if (!test_isolation_as_said()) {
		fprintf(stderr, "processes are not created as this run says (PFIPC_TEST_ISOLATE)\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigsegv_in_export_is_contained),
		cmocka_unit_test(sigfpe_in_export_is_contained),
		cmocka_unit_test(sigill_in_export_is_contained),
		cmocka_unit_test(sigbus_in_export_is_contained),
		cmocka_unit_test(stack_overflow_in_export_is_contained),
		cmocka_unit_test(server_crashed_100_times_with_restart_answers_every_call),
		cmocka_unit_test(crash_with_x87_values_leaves_next_call_x87_empty),
		cmocka_unit_test(call_during_and_after_a_restart_fails_eownerdead_not_esrch),
		cmocka_unit_test(crash_lines_from_two_processes_never_merge),
	};
	int failed = cmocka_run_group_tests_name(test_isolated() ? "crashes, isolated" : "crashes",
						 tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
