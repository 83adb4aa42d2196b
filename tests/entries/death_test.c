/* What is not a call through an entry: malformed entries are refused with
 * one line naming the process, the import and the instruction, and the
 * program dies by the entry's signal; traps that are not pfipc's go where
 * they would have gone without it. Each case runs in a fresh copy of this
 * program (run_self), the case named by its argument. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../common.h"
#include "../death.h"

/* ---- the cases, run in the child --------------------------------------- */

static long add(long a, long b) { return a + b; }
static long trap_in_export(long a, long b) { __asm__ volatile("int3"); return a + b; }

static int server_init(void *arg)
{
	(void)arg;
	int rc = pf_export("dt.f", (void *)add, PF_STACK_AUTO, 0);
	return rc ? rc : pf_export("dt.trap", (void *)trap_in_export, PF_STACK_AUTO, 0);
}

static pf_process *client, *dt;
static pf_import *imp;

/* The client and a server; syscall entry on first unless LATE. A handler
 * a runtime installed for these signals (a sanitizer's) would catch the
 * deaths looked for: the case dies the plain way. */
static void start(bool late)
{
	static const int plain[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
	for (unsigned i = 0; i < sizeof plain / sizeof plain[0]; i++)
		signal(plain[i], SIG_DFL);
	if (pf_process_join_self(&client, "client") != 0 ||
	    (!late && pf_entry_enable(PF_ENTRY_SYSCALL) != 0) ||
	    pf_process_create(&dt, "dt", NULL, server_init, NULL) != 0 ||
	    pf_import_create(&imp, "dt.f", 0) != 0)
		_exit(90);
}

static void *stub(unsigned kind)
{
	void *e = NULL;
	if (pf_import_entry(imp, kind, &e) != 0)
		_exit(91);
	return e;
}

static long raw_int81(long nr)
{
	long r;
	__asm__ volatile("int $0x81" : "=a"(r) : "a"(nr) : "memory");
	return r;
}

static long raw_syscall(long nr)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

static long raw_int80(long nr)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory");
	return r;
}

static void say(const char *s) { write(2, s, strlen(s)); }

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	(void)si;
	ucontext_t *uc = ucv;
	say("their handler ran\n");
	if (sig == SIGILL || sig == SIGSEGV)   /* step over the ud2 / int $N */
		uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static void handle(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static sem_t joined, go;
static long (*late_stub)(long, long);

/* Joins before syscall entry is on, and is given the stub: asking for it
 * itself would switch it on for this thread too. */
static void *late_caller(void *arg)
{
	(void)arg;
	if (pf_thread_attach(client) != 0)
		_exit(92);
	sem_post(&joined);
	sem_wait(&go);
	late_stub(1, 2);
	return NULL;
}

static void *no_process_trap(void *arg) { return (void *)((long (*)(long, long))arg)(1, 2); }
static void *no_process_int(void *arg) { return (void *)raw_int81((long)arg); }

static void run_in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_create(&t, NULL, fn, arg);
	pthread_join(t, NULL);
}

/* Each case either dies, or exits 0 having said what happened. */
static int run_case(const char *name)
{
	if (!strcmp(name, "middle-of-trap-stub")) {
		start(false);
		((void (*)(void))((char *)stub(PF_ENTRY_TRAP) + 5))();
	} else if (!strcmp(name, "middle-of-ud2-stub")) {
		start(false);
		((void (*)(void))((char *)stub(PF_ENTRY_UD2) + 1))();
	} else if (!strcmp(name, "int-empty-slot")) {
		start(false);
		raw_int81(pf_import_number(imp) + 1);
	} else if (!strcmp(name, "syscall-empty-slot")) {
		start(false);
		raw_syscall(pf_import_number(imp) + 1);
	} else if (!strcmp(name, "int80-no-process")) {
		start(false);
		raw_int80(0x10000000 + 1000 * 256);
	} else if (!strcmp(name, "trap-stub-no-process")) {
		start(false);
		run_in_thread(no_process_trap, stub(PF_ENTRY_TRAP));
	} else if (!strcmp(name, "int-no-process")) {
		start(false);
		run_in_thread(no_process_int, (void *)(long)pf_import_number(imp));
	} else if (!strcmp(name, "syscall-stub-joined-before")) {
		start(true);
		sem_init(&joined, 0, 0);
		sem_init(&go, 0, 0);
		pthread_t t;
		pthread_create(&t, NULL, late_caller, NULL);
		sem_wait(&joined);
		if (pf_entry_enable(PF_ENTRY_SYSCALL) != 0)
			_exit(93);
		late_stub = stub(PF_ENTRY_SYSCALL);
		sem_post(&go);
		pthread_join(t, NULL);
	} else if (!strcmp(name, "syscall-stub-forked-child")) {
		start(false);
		long (*f)(long, long) = stub(PF_ENTRY_SYSCALL);
		if (f(1, 2) != 3)
			_exit(94);
		pid_t pid = fork();
		if (pid == 0) {
			f(1, 2);
			_exit(0);
		}
		int status;
		waitpid(pid, &status, 0);
		return WIFSIGNALED(status) ? 100 + WTERMSIG(status) : 95;
	} else if (!strcmp(name, "own-int3")) {
		start(false);
		__asm__ volatile("int3");
	} else if (!strcmp(name, "own-int3-handled")) {
		start(false);
		handle(SIGTRAP);
		__asm__ volatile("int3");
	} else if (!strcmp(name, "own-ud2")) {
		start(false);
		__asm__ volatile("ud2");
	} else if (!strcmp(name, "own-ud2-handled")) {
		start(false);
		handle(SIGILL);
		__asm__ volatile("ud2");
	} else if (!strcmp(name, "int82")) {
		start(false);
		__asm__ volatile("int $0x82" ::: "memory");
	} else if (!strcmp(name, "int82-handled")) {
		start(false);
		handle(SIGSEGV);
		__asm__ volatile("int $0x82" ::: "memory");
	} else if (!strcmp(name, "int81-foreign-number-handled")) {
		start(false);
		handle(SIGSEGV);
		raw_int81(5);
	} else if (!strcmp(name, "raised-sigsys")) {
		start(false);
		raise(SIGSYS);
	} else if (!strcmp(name, "raised-sigsys-handled")) {
		start(false);
		handle(SIGSYS);
		raise(SIGSYS);
	} else if (!strcmp(name, "raised-sigsys-ignored")) {
		start(false);
		signal(SIGSYS, SIG_IGN);
		raise(SIGSYS);
	} else if (!strcmp(name, "raised-sigsegv")) {
		start(false);
		raise(SIGSEGV);
	} else if (!strcmp(name, "int3-in-export")) {
		start(false);
		pf_import *t;
		if (pf_import_create(&t, "dt.trap", 0) != 0)
			_exit(96);
		long r = PF_GATE(long(long, long), t)(1, 2);
		if (r == 0 && pf_errno() == -EOWNERDEAD)
			say("contained\n");
		/* Its thread has ended: join it (ThreadSanitizer reports a
		 * thread never joined as a leak). */
		pf_process_join(dt);
	} else if (!strcmp(name, "int3-in-export-handled")) {
		start(false);
		handle(SIGTRAP);
		pf_import *t;
		if (pf_import_create(&t, "dt.trap", 0) != 0)
			_exit(96);
		if (PF_GATE(long(long, long), t)(1, 2) == 3 && pf_errno() == 0)
			say("returned\n");
	} else if (!strcmp(name, "vector-0x90")) {
		start(false);
		if (pf_entry_vector(3) != -EINVAL || pf_entry_vector(4) != -EINVAL ||
		    pf_entry_vector(0x80) != -EINVAL || pf_entry_vector(0x100) != -EINVAL ||
		    pf_entry_vector(0x90) != 0)
			_exit(80);
		long nr = pf_import_number(imp), r;
		if (((long (*)(long, long))stub(PF_ENTRY_INT))(40, 2) != 42)
			_exit(81);
		__asm__ volatile("int $0x90" : "=a"(r) : "a"(nr), "D"(1L), "S"(2L) : "memory");
		if (r != 3 || pf_entry_vector(0x91) != -EBUSY || pf_entry_vector(0x90) != 0)
			_exit(82);
		say("vector 0x90 works\n");
		raw_int81(nr);   /* 0x81 is nobody's now */
	} else if (!strcmp(name, "no-syscall-entry")) {
		pf_process *p;
		void *e;
		if (pf_process_join_self(&p, "client") != 0 ||
		    pf_entry_enable(PF_ENTRY_SYSCALL) != -EOPNOTSUPP ||
		    pf_entry_enable(PF_ENTRY_INT80) != -EOPNOTSUPP || pf_entry_enable(PF_ENTRY_TRAP) != 0)
			_exit(83);
		pf_process *server;
		if (pf_process_create(&server, "dt", NULL, server_init, NULL) != 0 ||
		    pf_import_create(&imp, "dt.f", 0) != 0 ||
		    pf_import_entry(imp, PF_ENTRY_SYSCALL, &e) != -EOPNOTSUPP ||
		    pf_import_entry(imp, PF_ENTRY_INT80, &e) != -EOPNOTSUPP ||
		    ((long (*)(long, long))stub(PF_ENTRY_TRAP))(1, 2) != 3)
			_exit(84);
		say("no syscall entry\n");
	} else {
		return 97;
	}
	say("went on\n");
	return 0;
}

/* ---- the tests ---------------------------------------------------------- */

/* Died by SIG with exactly one line on stderr, holding each of WANT. */
static void refused(const char *name, int sig, const char *const *want)
{
	struct death d = run_self(name);
	if (d.signal != sig)
		fail_msg("%s: signal %d status %d, wanted signal %d; stderr: %s", name, d.signal,
			 d.status, sig, d.err);
	for (; *want; want++)
		if (!strstr(d.err, *want))
			fail_msg("%s: no \"%s\" in: %s", name, *want, d.err);
	const char *nl = strchr(d.err, '\n');
	assert_non_null(nl);
	assert_null(strchr(nl + 1, '\n'));
}

#define REFUSED(name, sig, ...) refused(name, sig, (const char *const[]){ __VA_ARGS__, NULL })

static bool have_sud(void)
{
	return pf_entry_enable(PF_ENTRY_SYSCALL) == 0;
}

static void a_jump_into_the_middle_of_a_trap_stub_is_refused(void **state)
{
	(void)state;
	REFUSED("middle-of-trap-stub", SIGTRAP,
		"pfipc: process \"client\": jumped into the middle of the trap entry of import "
		"\"dt.f\" of process \"client\" at 0x", "int3",
		"(only a call to the start of a stub is allowed)");
}

static void a_jump_into_the_middle_of_a_ud2_stub_is_refused(void **state)
{
	(void)state;
	REFUSED("middle-of-ud2-stub", SIGTRAP,
		"jumped into the middle of the ud2 entry of import \"dt.f\" of process \"client\"");
}

static void an_int_with_a_number_nobody_imported_is_refused(void **state)
{
	(void)state;
	REFUSED("int-empty-slot", SIGSEGV,
		"pfipc: process \"client\": called through int $0x81 an empty slot of process "
		"\"client\" with call number 0x10000001: `int 0x81` at 0x",
		"(only a number pf_import_number gave is a call)");
}

static void a_syscall_with_a_number_nobody_imported_is_refused(void **state)
{
	(void)state;
	if (!have_sud())
		skip();
	REFUSED("syscall-empty-slot", SIGSYS,
		"pfipc: process \"client\": called through syscall an empty slot of process "
		"\"client\" with call number 0x10000001: `syscall` at 0x");
}

static void an_int80_with_a_number_of_no_process_is_refused(void **state)
{
	(void)state;
	if (!have_sud())
		skip();
	REFUSED("int80-no-process", SIGSYS,
		"called through int $0x80 a number of no process with call number 0x1003e800",
		"`int 0x80`");
}

static void a_stub_called_from_a_thread_of_no_process_is_refused(void **state)
{
	(void)state;
	REFUSED("trap-stub-no-process", SIGTRAP,
		"pfipc: a thread that belongs to no pfipc process called the trap entry of import "
		"\"dt.f\" of process \"client\"", "call pf_process_join_self or pf_thread_attach");
	REFUSED("int-no-process", SIGSEGV,
		"pfipc: a thread that belongs to no pfipc process called through int $0x81 import "
		"\"dt.f\" of process \"client\" with call number 0x10000000");
}

static void a_syscall_stub_on_a_thread_that_does_not_dispatch_is_refused(void **state)
{
	(void)state;
	if (!have_sud())
		skip();
	REFUSED("syscall-stub-joined-before", SIGSYS,
		"pfipc: process \"client\": made a real system call through the syscall entry of "
		"import \"dt.f\" of process \"client\"",
		"joined its process before syscall entry was switched on, or is a forked child");
	struct death d = run_self("syscall-stub-forked-child");
	assert_int_equal(d.status, 100 + SIGSYS);
	assert_non_null(strstr(d.err, "made a real system call through the syscall entry of"));
}

/* Not pfipc's: the program's handler runs, or the default action kills
 * without a word from pfipc. */
static void passed_on(const char *name, int sig)
{
	struct death d = run_self(name);
	if (d.signal != sig || strstr(d.err, "pfipc"))
		fail_msg("%s: signal %d status %d, wanted signal %d; stderr: %s", name, d.signal,
			 d.status, sig, d.err);
}

/* The same, after it said SAID. */
static void passed_on_after(const char *name, int sig, const char *said)
{
	struct death d = run_self(name);
	if (d.signal != sig || strcmp(d.err, said) != 0)
		fail_msg("%s: signal %d status %d, wanted signal %d; stderr: %s", name, d.signal,
			 d.status, sig, d.err);
}

static void handled(const char *name)
{
	struct death d = run_self(name);
	if (d.signal || d.status || !strstr(d.err, "their handler ran\nwent on\n"))
		fail_msg("%s: signal %d status %d; stderr: %s", name, d.signal, d.status, d.err);
}

static void the_programs_own_int3_goes_where_it_would_have_gone(void **state)
{
	(void)state;
	passed_on("own-int3", SIGTRAP);
	handled("own-int3-handled");
}

static void the_programs_own_ud2_goes_where_it_would_have_gone(void **state)
{
	(void)state;
	passed_on("own-ud2", SIGILL);
	handled("own-ud2-handled");
}

static void an_int_vector_nobody_registered_goes_where_it_would_have_gone(void **state)
{
	(void)state;
	passed_on("int82", SIGSEGV);
	handled("int82-handled");
	handled("int81-foreign-number-handled");
}

static void a_sigsys_the_program_raises_goes_where_it_would_have_gone(void **state)
{
	(void)state;
	passed_on("raised-sigsys", SIGSYS);
	handled("raised-sigsys-handled");
	struct death d = run_self("raised-sigsys-ignored");
	assert_int_equal(d.signal, 0);
	assert_non_null(strstr(d.err, "went on"));
	passed_on("raised-sigsegv", SIGSEGV);
}

static void an_int3_inside_an_export_crashes_its_process_unless_handled(void **state)
{
	(void)state;
	struct death d = run_self("int3-in-export");
	assert_int_equal(d.status, 0);
	assert_non_null(strstr(d.err, "pfipc: process \"dt\" crashed in \"dt.trap\": signal 5"));
	assert_non_null(strstr(d.err, "contained\n"));
	d = run_self("int3-in-export-handled");
	assert_int_equal(d.status, 0);
	assert_non_null(strstr(d.err, "their handler ran\nreturned\n"));
}

static void another_vector_can_be_chosen_before_int_stubs_exist(void **state)
{
	(void)state;
	passed_on_after("vector-0x90", SIGSEGV, "vector 0x90 works\n");
}

static void without_syscall_user_dispatch_those_entries_say_eopnotsupp(void **state)
{
	(void)state;
	setenv("PFIPC_SYSCALL_ENTRY", "0", 1);
	struct death d = run_self("no-syscall-entry");
	unsetenv("PFIPC_SYSCALL_ENTRY");
	assert_int_equal(d.signal, 0);
	assert_int_equal(d.status, 0);
	assert_non_null(strstr(d.err, "no syscall entry\n"));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return run_case(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_jump_into_the_middle_of_a_trap_stub_is_refused),
		cmocka_unit_test(a_jump_into_the_middle_of_a_ud2_stub_is_refused),
		cmocka_unit_test(an_int_with_a_number_nobody_imported_is_refused),
		cmocka_unit_test(a_syscall_with_a_number_nobody_imported_is_refused),
		cmocka_unit_test(an_int80_with_a_number_of_no_process_is_refused),
		cmocka_unit_test(a_stub_called_from_a_thread_of_no_process_is_refused),
		cmocka_unit_test(a_syscall_stub_on_a_thread_that_does_not_dispatch_is_refused),
		cmocka_unit_test(the_programs_own_int3_goes_where_it_would_have_gone),
		cmocka_unit_test(the_programs_own_ud2_goes_where_it_would_have_gone),
		cmocka_unit_test(an_int_vector_nobody_registered_goes_where_it_would_have_gone),
		cmocka_unit_test(a_sigsys_the_program_raises_goes_where_it_would_have_gone),
		cmocka_unit_test(an_int3_inside_an_export_crashes_its_process_unless_handled),
		cmocka_unit_test(another_vector_can_be_chosen_before_int_stubs_exist),
		cmocka_unit_test(without_syscall_user_dispatch_those_entries_say_eopnotsupp),
	};
	return cmocka_run_group_tests_name("entry refusals and foreign traps", tests, NULL, NULL);
}
