/* What pf_error_message says when an import, an export or a call cannot be
 * made, and the switch that silences the lines of contained crashes. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "../common.h"
#include "../death.h"

static long add(long a, long b) { return a + b; }

static const struct one_export maths[] = {
	{ "math.add", (void *)add, PF_STACK_AUTO, 0 },
	{ "math.sub", (void *)add, PF_STACK_AUTO, 0 },
	{ "math.private", (void *)add, PF_STACK_AUTO, PF_EXPORT_PRIVATE },
	{ 0 } };

static void has(const char *text)
{
	if (!strstr(pf_error_message(), text))
		fail_msg("\"%s\" is not in \"%s\"", text, pf_error_message());
}

static void unknown_name_suggests_the_closest_exported_names(void **state)
{
	(void)state;
	pf_process *p = start_server("math", maths);
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "math.ad", 0), -ENOENT);
	assert_int_equal(pf_errno(), -ENOENT);
	has("nobody exports \"math.ad\"");
	has("did you mean math.add");
	/* Nothing close: no suggestion. */
	assert_int_equal(pf_import_create(&imp, "zzzz.qqqqqqqq", 0), -ENOENT);
	has("nobody exports \"zzzz.qqqqqqqq\"");
	assert_null(strstr(pf_error_message(), "did you mean"));
	/* A success clears it. */
	assert_int_equal(pf_import_create(&imp, "math.sub", 0), 0);
	assert_int_equal(pf_errno(), 0);
	assert_string_equal(pf_error_message(), "");
	stop_server(p);
}

static void malformed_name_and_flags_say_what_is_wrong(void **state)
{
	(void)state;
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "no-dot", 0), -EINVAL);
	has("\"no-dot\" is not a name");
	assert_int_equal(pf_import_create(&imp, "a.b", PF_IMPORT_ASYNC | PF_IMPORT_ONEWAY), -EINVAL);
	has("flags");
}

static void private_export_without_a_grant_names_the_exporter(void **state)
{
	(void)state;
	pf_process *p = start_server("math", maths);
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "math.private", 0), -EPERM);
	has("private export of process math");
	stop_server(p);
}

static int other_init(void *arg)
{
	(void)arg;
	return 0;
}

static void export_taken_by_another_process_names_it(void **state)
{
	(void)state;
	pf_process *p = start_server("math", maths);
	pf_process *other;
	assert_int_equal(pf_process_create(&other, "other", NULL, other_init, NULL), 0);
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "math.add", 0), 0);   /* clears it */
	/* The client exports into math's namespace: refused, naming math. */
	assert_int_equal(pf_export("math.mul", (void *)add, PF_STACK_AUTO, 0), -EEXIST);
	has("process math");
	assert_int_equal(pf_export("mine.add", (void *)add, PF_STACK_AUTO, 0), 0);
	assert_int_equal(pf_export("mine.add", (void *)add, PF_STACK_AUTO, 0), -EEXIST);
	has("\"mine.add\"");
	assert_int_equal(pf_export("bad name", (void *)add, PF_STACK_AUTO, 0), -EINVAL);
	has("\"bad name\"");
	assert_int_equal(pf_export("mine.odd", (void *)add, 12, 0), -EINVAL);
	has("12");
	stop_server(other);
	stop_server(p);
}

static void *wait_outside(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pf_wait(1, 0, NULL);
}

static void pf_wait_outside_any_process_is_einval(void **state)
{
	(void)state;
	pthread_t th;
	void *rc;
	pthread_create(&th, NULL, wait_outside, NULL);
	pthread_join(th, &rc);
	assert_int_equal((intptr_t)rc, -EINVAL);
}

static long *volatile wild = (long *)16;   /* not NULL: a distinct address */

static long crash(long x)
{
	*wild = x;
	return x;
}

static void crash_once(void)
{
	static const struct one_export ex[] = { { "crasher.crash", (void *)crash, PF_STACK_AUTO, 0 }, { 0 } };
	pf_process_join_self(NULL, "victim");
	pf_process *p;
	if (pf_process_create(&p, "crasher", NULL, export_list_init, (void *)ex))
		_exit(3);
	pf_import *imp;
	if (pf_import_create(&imp, "crasher.crash", 0))
		_exit(4);
	PF_GATE(long(long), imp)(1);
	int err = pf_errno();
	/* Its thread has ended: join it (ThreadSanitizer reports a thread
	 * never joined as a leak). */
	pf_process_join(p);
	_exit(err == -EOWNERDEAD ? 0 : 5);
}

static void quiet_crashes_switch_leaves_out_the_crash_line(void **state)
{
	(void)state;
	/* The variable is read when pfipc starts: in a fresh process. */
	setenv("PFIPC_QUIET_CRASHES", "1", 1);
	struct death d = run_self("crash-once");
	unsetenv("PFIPC_QUIET_CRASHES");
	assert_int_equal(d.signal, 0);
	assert_int_equal(d.status, 0);
	assert_null(strstr(d.err, "crashed in"));
	d = run_self("crash-once");
	assert_int_equal(d.status, 0);
	assert_non_null(strstr(d.err, "pfipc: process \"crasher\" crashed in \"crasher.crash\""));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "crash-once") == 0)
		crash_once();
	if (pf_process_join_self(NULL, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_name_suggests_the_closest_exported_names),
		cmocka_unit_test(malformed_name_and_flags_say_what_is_wrong),
		cmocka_unit_test(private_export_without_a_grant_names_the_exporter),
		cmocka_unit_test(export_taken_by_another_process_names_it),
		cmocka_unit_test(pf_wait_outside_any_process_is_einval),
		cmocka_unit_test(quiet_crashes_switch_leaves_out_the_crash_line),
	};
	return cmocka_run_group_tests_name("error messages", tests, NULL, NULL);
}
