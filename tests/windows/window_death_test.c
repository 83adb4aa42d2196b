/* What is not a window access pfipc carries out: each is refused with one
 * line naming the process, the window, the address, the instruction and
 * why, and the process that made it dies by SIGSEGV (or, inside an
 * export, crashes alone). Port I/O no port range covers is not pfipc's.
 * Each case runs in a fresh copy of this program (run_self). */
#include <cpuid.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include "../common.h"
#include "../death.h"

/* ---- the cases, run in the child --------------------------------------- */

static uint8_t mem[2 * 4096];

static int rd(void *ctx, uint64_t offset, unsigned width, void *value)
{
	(void)ctx;
	memcpy(value, mem + offset, width);
	return 0;
}

static int wr(void *ctx, uint64_t offset, unsigned width, const void *value)
{
	(void)ctx;
	memcpy(mem + offset, value, width);
	return 0;
}

static const pf_window_ops ops = { rd, wr, NULL };
static uint8_t *win;   /* dev.one, one page, mapped by drv */

/* x.poke(addr): an export that makes a refused access itself. */
static long poke(long addr)
{
	long v = 0;
	__asm__ volatile("imul (%1), %%eax" : "+a"(v) : "r"(addr) : "cc", "memory");
	return v;
}

static int dev_init(void *arg)
{
	(void)arg;
	int rc = pf_window_create("dev.one", 1, &ops, NULL, 0);
	return rc ? rc : pf_port_create("dev.uart", 0x3f8, 8, &ops, NULL, 0);
}

static int x_init(void *arg)
{
	(void)arg;
	return pf_export("x.poke", (void *)poke, 0, 0);
}

static void start(void)
{
	static const int plain[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
	for (unsigned i = 0; i < sizeof plain / sizeof plain[0]; i++)
		signal(plain[i], SIG_DFL);
	pf_process *drv, *dev;
	void *p;
	if (pf_process_join_self(&drv, "drv") != 0 ||
	    pf_process_create(&dev, "dev", NULL, dev_init, NULL) != 0 ||
	    pf_window_map("dev.one", 0, &p) != 0)
		_exit(90);
	win = p;
}

static void say(const char *s) { write(2, s, strlen(s)); }

static void *no_process_load(void *arg)
{
	return (void *)(uintptr_t)*(volatile uint32_t *)arg;
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	say("their handler ran\n");
	uc->uc_mcontext.gregs[REG_RIP] += 2;   /* step over the in al, imm8 */
}

static bool has_avx512(void)
{
	unsigned a, b, c, d;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F);
}

/* Each case either dies, or exits 0 having said what happened. */
static int run_case(const char *name)
{
	start();
	if (!strcmp(name, "refused-instruction")) {
		uint32_t v = 3;
		__asm__ volatile("imul (%1), %0" : "+r"(v) : "r"(win + 0x10) : "cc", "memory");
	} else if (!strcmp(name, "crosses-end")) {
		uint32_t v;
		__asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(win + 4094) : "memory");
	} else if (!strcmp(name, "past-end")) {
		*(volatile uint8_t *)(win + 4096) = 1;
	} else if (!strcmp(name, "jump-into-window")) {
		((void (*)(void))win)();
	} else if (!strcmp(name, "unmapped")) {
		if (pf_window_unmap(win) != 0)
			_exit(91);
		(void)*(volatile uint32_t *)win;
	} else if (!strcmp(name, "no-process")) {
		pthread_t t;
		pthread_create(&t, NULL, no_process_load, win + 8);
		pthread_join(t, NULL);
	} else if (!strcmp(name, "writes-rsp")) {
		__asm__ volatile("mov %%rsp, %%rbx\n\tmov (%0), %%rsp\n\tmov %%rbx, %%rsp"
				 :: "r"(win) : "rbx", "memory");
	} else if (!strcmp(name, "glibc-memcpy")) {
		char buf[100] = "x";
		size_t volatile n = sizeof buf;   /* not expanded inline: glibc's */
		memcpy(win, buf, n);
		say(has_avx512() ? "copied with AVX-512 around\n" : "copied\n");
	} else if (!strcmp(name, "refused-inside-export")) {
		pf_process *x;
		pf_import *imp;
		if (pf_process_create(&x, "x", NULL, x_init, NULL) != 0 ||
		    pf_import_create(&imp, "x.poke", 0) != 0)
			_exit(92);
		/* The refusal comes before anything else is looked at
		 * (whose the mapping is, for one). */
		(void)PF_GATE(long(long), imp)((long)(uintptr_t)win);
		if (pf_errno() == -EOWNERDEAD)
			say("contained\n");
		/* Its server thread ends with the crash: joined, as a
		 * program joins the threads it started before it exits. */
		pf_process_join(x);
	} else if (!strcmp(name, "port-partly")) {
		if (pf_port_map("dev.uart", 0) != 0)
			_exit(93);
		uint32_t v;
		__asm__ volatile("inl %%dx, %%eax" : "=a"(v) : "d"((uint16_t)0x3fe));
	} else if (!strcmp(name, "port-unmapped")) {
		__asm__ volatile("inb $0x80, %%al" ::: "rax");
	} else if (!strcmp(name, "port-unmapped-handled")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		__asm__ volatile("inb $0x80, %%al" ::: "rax");
	} else {
		return 97;
	}
	say("went on\n");
	return 0;
}

/* ---- the tests ---------------------------------------------------------- */

/* Died by SIGSEGV with exactly one line on stderr, holding each of WANT. */
static void refused(const char *name, const char *const *want)
{
	struct death d = run_self(name);
	if (d.signal != SIGSEGV)
		fail_msg("%s: signal %d status %d, wanted SIGSEGV; stderr: %s", name, d.signal,
			 d.status, d.err);
	for (; *want; want++)
		if (!strstr(d.err, *want))
			fail_msg("%s: no \"%s\" in: %s", name, *want, d.err);
	const char *nl = strchr(d.err, '\n');
	assert_non_null(nl);
	assert_null(strchr(nl + 1, '\n'));
}

#define REFUSED(name, ...) refused(name, (const char *const[]){ __VA_ARGS__, NULL })

static void an_instruction_that_is_not_emulated_is_refused(void **state)
{
	(void)state;
	REFUSED("refused-instruction",
		"pfipc: process \"drv\": accessed window \"dev.one\" of process \"dev\" at 0x",
		"`imul", "(not an emulated instruction)");
}

static void an_access_across_the_windows_end_is_refused(void **state)
{
	(void)state;
	REFUSED("crosses-end", "accessed window \"dev.one\" of process \"dev\" at 0x",
		"ffe: `mov", "(the access crosses the window's end)");
}

static void an_access_past_the_windows_end_is_refused(void **state)
{
	(void)state;
	REFUSED("past-end", "accessed window \"dev.one\"", "(the access lies outside the window)");
}

static void a_jump_into_a_window_is_refused(void **state)
{
	(void)state;
	REFUSED("jump-into-window", "accessed window \"dev.one\"",
		"`execution inside the arena`", "(a window holds no code)");
}

static void an_access_after_unmapping_is_refused(void **state)
{
	(void)state;
	REFUSED("unmapped", "pfipc: process \"drv\": accessed a window address at 0x",
		"(no window is mapped there (unmapped, or its process exited))");
}

static void an_access_by_a_thread_of_no_process_is_refused(void **state)
{
	(void)state;
	REFUSED("no-process", "pfipc: a thread that belongs to no pfipc process accessed window "
		"\"dev.one\"", "(a thread must be in a process");
}

static void a_load_into_rsp_is_refused(void **state)
{
	(void)state;
	REFUSED("writes-rsp", "`mov rsp, qword ptr [", "(a window access may not write rsp)");
}

/* glibc's out-of-line memcpy uses AVX-512 (EVEX) moves where the CPU has
 * them, which the emulator refuses: a memcpy into a window must be one
 * the compiler expands inline (README, "Windows"). */
static void glibcs_avx512_memcpy_into_a_window_is_refused(void **state)
{
	(void)state;
	if (!has_avx512()) {
		struct death d = run_self("glibc-memcpy");
		assert_int_equal(d.signal, 0);
		assert_non_null(strstr(d.err, "copied"));
		return;
	}
	struct death d = run_self("glibc-memcpy");
	if (d.signal == 0 && strstr(d.err, "copied with AVX-512 around"))
		skip();   /* this glibc did not choose an EVEX memcpy */
	assert_int_equal(d.signal, SIGSEGV);
	assert_non_null(strstr(d.err, "(EVEX-encoded (AVX-512) instruction)"));
}

static void a_refused_access_inside_an_export_crashes_only_its_process(void **state)
{
	(void)state;
	struct death d = run_self("refused-inside-export");
	assert_int_equal(d.signal, 0);
	assert_int_equal(d.status, 0);
	assert_non_null(strstr(d.err, "pfipc: process \"x\": accessed window \"dev.one\""));
	assert_non_null(strstr(d.err, "pfipc: process \"x\" crashed in \"x.poke\""));
	assert_non_null(strstr(d.err, "contained\nwent on\n"));
}

static void port_io_a_range_covers_in_part_is_refused(void **state)
{
	(void)state;
	REFUSED("port-partly", "pfipc: process \"drv\": read from port 0x3fe: `in eax, dx`",
		"(a port range of the process covers it only in part)");
}

static void port_io_no_range_covers_is_not_pfipcs(void **state)
{
	(void)state;
	struct death d = run_self("port-unmapped");
	assert_int_equal(d.signal, SIGSEGV);
	assert_string_equal(d.err, "");
	d = run_self("port-unmapped-handled");
	assert_int_equal(d.signal, 0);
	assert_string_equal(d.err, "their handler ran\nwent on\n");
}

int main(int argc, char **argv)
{
	if (argc == 2)
		return run_case(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_instruction_that_is_not_emulated_is_refused),
		cmocka_unit_test(an_access_across_the_windows_end_is_refused),
		cmocka_unit_test(an_access_past_the_windows_end_is_refused),
		cmocka_unit_test(a_jump_into_a_window_is_refused),
		cmocka_unit_test(an_access_after_unmapping_is_refused),
		cmocka_unit_test(an_access_by_a_thread_of_no_process_is_refused),
		cmocka_unit_test(a_load_into_rsp_is_refused),
		cmocka_unit_test(glibcs_avx512_memcpy_into_a_window_is_refused),
		cmocka_unit_test(a_refused_access_inside_an_export_crashes_only_its_process),
		cmocka_unit_test(port_io_a_range_covers_in_part_is_refused),
		cmocka_unit_test(port_io_no_range_covers_is_not_pfipcs),
	};
	return cmocka_run_group_tests_name("window refusals", tests, NULL, NULL);
}
