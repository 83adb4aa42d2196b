/* hello: a client process calls two server processes, each through a
 * different call shape.
 *
 *   cc -O2 -g hello.c $(pkg-config --cflags --libs pfipc) -o hello
 */
#include <pfipc.h>
#include <stdio.h>

/* ---- the "console" process ---------------------------------------------- */

static int console_print(const char *text)
{
	return printf("[%s] %s\n", pf_process_name(pf_self()), text);
}

static int console_init(void *arg)
{
	(void)arg;
	return pf_export("console.print", (void *)console_print, PF_STACK_AUTO, 0);
}

/* ---- the "math" process ------------------------------------------------- */

static long math_add(long a, long b)
{
	printf("[%s] adding %ld and %ld\n", pf_process_name(pf_self()), a, b);
	return a + b;
}

static int math_init(void *arg)
{
	(void)arg;
	return pf_export("math.add", (void *)math_add, PF_STACK_AUTO, 0);
}

/* ---- the client (main) -------------------------------------------------- */

int main(void)
{
	pf_process *client, *console, *math;
	pf_import *print_imp, *add_imp;
	int rc;

	if ((rc = pf_process_join_self(&client, "client")) ||
	    (rc = pf_process_create(&console, "console", NULL, console_init, NULL)) ||
	    (rc = pf_process_create(&math, "math", NULL, math_init, NULL)) ||
	    (rc = pf_import_create(&print_imp, "console.print", 0)) ||
	    (rc = pf_import_create(&add_imp, "math.add", 0))) {
		fprintf(stderr, "hello: set-up failed: %s\n", pf_strerror(rc));
		return 1;
	}

	/* Shape 1: the gate as a function pointer (`call *%reg` faults when
	 * it fetches from the gate). */
	int (*print)(const char *) = PF_GATE(int(const char *), print_imp);
	print("hello from the client, through a gate");

	/* Shape 2: IAT-style, through the slot (`call *(%reg)` faults on the
	 * slot read at -O2; at -O0 the slot is first loaded into a register). */
	long (*const *add)(long, long) = PF_SLOT(long(long, long), add_imp);
	long sum = (*add)(40, 2);
	printf("[client] math.add(40, 2) = %ld (pf_errno %d)\n", sum, pf_errno());

	/* A call that cannot be delivered returns zeros and says why. */
	pf_process_stop(math);
	pf_process_join(math);
	sum = (*add)(1, 2);
	printf("[client] after math stopped: math.add(1, 2) = %ld, pf_errno = %d (%s)\n",
	       sum, pf_errno(), pf_error_message());

	pf_process_stop(console);
	pf_process_join(console);
	pf_thread_detach();
	return 0;
}
