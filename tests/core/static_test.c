/* A fully static program: linked with -static against libpfipc.a and the
 * static archives of Capstone, libsigsegv and the C library.
 *
 * There is no dynamic symbol table in such a program, so pfipc cannot find
 * the C library's sigaction with dlsym; it must still install its handler,
 * serve calls through imports, and keep passing faults that are not its own
 * to the handler the program installed.
 *
 * Not a cmocka group: there is no static cmocka to link. Each behaviour
 * prints its name and ok or FAILED; the exit status is the number failed. */
#include <errno.h>
#include <pfipc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Only a dynamically linked program has a _DYNAMIC section. */
extern const char _DYNAMIC[] __attribute__((weak));

static int failed;

static void check(const char *behaviour, int ok)
{
	printf("%s %s\n", ok ? "ok    " : "FAILED", behaviour);
	failed += !ok;
}

static long add(long a, long b) { return a + b; }

/* What pf_export said when asked to work the stack bytes out: there is no
 * loading libdw into a static program. */
static int auto_rc;
static char auto_message[256];

static int adder_init(void *arg)
{
	(void)arg;
	auto_rc = pf_export("static.auto", (void *)add, PF_STACK_AUTO, 0);
	snprintf(auto_message, sizeof auto_message, "%s", pf_error_message());
	/* As declared: in registers on x86-64, both on the stack on i386. */
#if defined(__i386__)
	return pf_export("static.add", (void *)add, 2 * sizeof(long), 0);
#else
	return pf_export("static.add", (void *)add, 0, 0);
#endif
}

static sigjmp_buf recover;
static long *volatile unmapped = (long *)16;   /* near NULL: never mapped */
static volatile sig_atomic_t program_handler_ran;

static void program_handler(int sig)
{
	(void)sig;
	program_handler_ran = 1;
	siglongjmp(recover, 1);
}

/* A fault pfipc does not own reaches the handler the program installed
 * after pf_init. */
static int program_handler_gets_its_faults(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = program_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		return 0;
	if (sigsetjmp(recover, 1) == 0) {
		*unmapped = 1;
		return 0;
	}
	return program_handler_ran;
}

int main(void)
{
	check("program is linked statically", _DYNAMIC == NULL);

	pf_process *client, *adder;
	pf_import *imp;
	int rc = pf_process_join_self(&client, "client");
	check("pf_process_join_self (installs the fault handler)", rc == 0);
	if (rc)
		return 1 + failed;
	rc = pf_process_create(&adder, "adder", NULL, adder_init, NULL);
	check("pf_process_create", rc == 0);
	if (rc)
		return 1 + failed;
	rc = pf_import_create(&imp, "static.add", 0);
	check("pf_import_create", rc == 0);
	if (rc)
		return 1 + failed;

	long through_gate = PF_GATE(long(long, long), imp)(40, 2);
	check("call through a gate returns the sum", through_gate == 42 && pf_errno() == 0);
	long through_slot = (*PF_SLOT(long(long, long), imp))(-5, 2);
	check("call through a slot returns the sum", through_slot == -3 && pf_errno() == 0);
	check("a fault that is not pfipc's reaches the program's handler",
	      program_handler_gets_its_faults());
	check("PF_STACK_AUTO is refused, saying the program is static",
	      auto_rc == -EINVAL && strstr(auto_message, "statically linked"));

	check("pf_process_stop", pf_process_stop(adder) == 0);
	check("pf_process_join", pf_process_join(adder) == 0);
	pf_thread_detach();
	return failed;
}
