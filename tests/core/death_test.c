/* What is not a call dies, with one line that says what happened; what is
 * not pfipc's is left to whoever handled it before. Each case runs in a
 * forked child. */
#include <sys/resource.h>
#include "../common.h"
#include "../death.h"

static long ident(long x) { return x; }

static pf_import *child_setup(void)
{
	static const struct one_export ex[] = { { "victim.ident", (void *)ident, PF_STACK_AUTO, 0 }, { 0 } };
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	pf_process *client, *server;
	if (pf_process_join_self(&client, "client") ||
	    pf_process_create(&server, "victim", NULL, export_list_init, (void *)ex))
		_exit(100);
	pf_import *imp;
	if (pf_import_create(&imp, "victim.ident", 0))
		_exit(101);
	return imp;
}

static void store_into_slot(void)
{
	pf_import *imp = child_setup();
	*(void *volatile *)pf_import_slot(imp) = NULL;
}

static void read_of_gate(void)
{
	pf_import *imp = child_setup();
	volatile char c = *(volatile char *)pf_import_gate(imp);
	(void)c;
}

static void add_to_slot(void)
{
	pf_import *imp = child_setup();
	/* The exact instruction matters here, so it is spelled out. */
	__asm__ volatile("addq $1, (%0)" : : "r"(pf_import_slot(imp)) : "memory");
}

/* An ordinary bad pointer, near NULL (a literal NULL store would be caught
 * before the fault by -fsanitize=undefined builds). */
static long *volatile near_null = (long *)8;

static void call_through_empty_slot(void)
{
	pf_import *imp = child_setup();
	/* A wild pointer: the slot after the only import holds nothing. */
	long (*const *wild)(long) = (long (*const *)(long))pf_import_slot(imp) + 1;
	(*wild)(1);
}

static void call_through_empty_slot_dies_naming_it(void **state)
{
	(void)state;
	struct death d = run_child(call_through_empty_slot);
	assert_int_equal(d.signal, SIGSEGV);
	assert_non_null(strstr(d.err, "pfipc: process \"client\": touched an empty slot or gate of process \"client\""));
}

static void execute_a_slot(void)
{
	pf_import *imp = child_setup();
	/* The slot's address used as code, not as a pointer to it. */
	((void (*)(void))(uintptr_t)pf_import_slot(imp))();
}

static void jumping_into_a_slot_dies_naming_it(void **state)
{
	(void)state;
	struct death d = run_child(execute_a_slot);
	assert_int_equal(d.signal, SIGSEGV);
	assert_non_null(strstr(d.err, "jumped into the slot of import \"victim.ident\""));
	assert_non_null(strstr(d.err, "execution inside the arena"));
}

static void null_dereference(void)
{
	child_setup();
	*near_null = 1;
}

static void check_refused(struct death d, const char *insn)
{
	assert_int_equal(d.signal, SIGSEGV);
	assert_non_null(strstr(d.err, "pfipc: process \"client\""));
	assert_non_null(strstr(d.err, "\"victim.ident\""));
	assert_non_null(strstr(d.err, insn));
	/* One line. */
	assert_non_null(strchr(d.err, '\n'));
	assert_null(strchr(strchr(d.err, '\n') + 1, '\n'));
}

static void store_into_slot_dies_with_one_line(void **state)
{
	(void)state;
	check_refused(run_child(store_into_slot), "`mov ");
}

static void read_of_gate_dies_with_one_line(void **state)
{
	(void)state;
	check_refused(run_child(read_of_gate), "gate of");
}

static void arithmetic_on_slot_dies_with_one_line(void **state)
{
	(void)state;
	check_refused(run_child(add_to_slot), "`add qword ptr");
}

static void null_dereference_elsewhere_still_dies_by_sigsegv(void **state)
{
	(void)state;
	struct death d = run_child(null_dereference);
	assert_int_equal(d.signal, SIGSEGV);
	assert_null(strstr(d.err, "pfipc"));
}

static void handler_of_their_own(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	static const char msg[] = "their handler ran\n";
	(void)!write(2, msg, sizeof msg - 1);
	_exit(si->si_addr == (void *)8 ? 42 : 43);
}

static void own_handler_then_null(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler_of_their_own;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	null_dereference();
}

static void own_handler_installed_first_still_runs_outside_arena(void **state)
{
	(void)state;
	struct death d = run_child(own_handler_then_null);
	assert_int_equal(d.signal, 0);
	assert_int_equal(d.status, 42);
	assert_non_null(strstr(d.err, "their handler ran"));
}

static void call_from_thread_outside_processes(void)
{
	pf_import *imp = child_setup();
	pf_thread_detach();
	PF_GATE(long(long), imp)(1);
}

static void call_from_thread_outside_processes_dies_naming_it(void **state)
{
	(void)state;
	struct death d = run_child(call_from_thread_outside_processes);
	assert_int_equal(d.signal, SIGSEGV);
	assert_non_null(strstr(d.err, "a thread that belongs to no pfipc process called import \"victim.ident\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_into_slot_dies_with_one_line),
		cmocka_unit_test(read_of_gate_dies_with_one_line),
		cmocka_unit_test(arithmetic_on_slot_dies_with_one_line),
		cmocka_unit_test(call_through_empty_slot_dies_naming_it),
		cmocka_unit_test(jumping_into_a_slot_dies_naming_it),
		cmocka_unit_test(null_dereference_elsewhere_still_dies_by_sigsegv),
		cmocka_unit_test(own_handler_installed_first_still_runs_outside_arena),
		cmocka_unit_test(call_from_thread_outside_processes_dies_naming_it),
	};
	return cmocka_run_group_tests_name("death", tests, NULL, NULL);
}
