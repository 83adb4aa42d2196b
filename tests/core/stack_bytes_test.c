/* Stack bytes worked out from debug information: what pfipc computes from
 * a prototype, PF_STACK_AUTO end to end, a declared count checked against
 * the prototype, and functions without (enough) debug information.
 *
 * This file is built with -g (the build's own flags); stack_bytes_g1.c
 * with -g1, and stack_bytes_nodebug.c without debug information into a
 * shared library. Links the static library to ask stack_bytes_of too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common.h"
#include "ident/stack_bytes.h"
#include "stack_bytes_elsewhere.h"

typedef float v8sf __attribute__((vector_size(32)));
struct triple { long a, b, c; };
struct huge { char bytes[520]; };

static long seven_ints(int a, int b, int c, int d, int e, int f, int g)
{
	return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7;
}

static long double ld_after_seven(int a, int b, int c, int d, int e, int f,
				  int g, long double x)
{
	return (a - b + c - d + e - f + g) * x;
}

static __int128 int128_after_five(long a, long b, long c, long d, long e,
				  __int128 x)
{
	return (a + b + c + d + e) * x;
}

static long triple_between(int a, int b, int c, int d, int e, int f,
			   struct triple t, int g)
{
	return a + b + c + d + e + f + t.a * 10 + t.b * 100 + t.c * 1000 + g;
}

static struct triple ret_triple(long a, long b, long c, long d, long e, long f)
{
	return (struct triple){ a + b, c + d, e + f };
}

static long named_seven(int a, int b, int c, int d, int e, int f, int g, ...)
{
	return a * b * c * d * e * f * g;
}

static long wide_vector(v8sf v, long a)
{
	return (long)v[0] + a;
}

static long huge_by_value(struct huge h)
{
	return h.bytes[0] + h.bytes[519];
}

static long sum_buffer(long a, long b, long c, long d, long e, long f,
		       const char *buf, size_t len)
{
	long sum = a + b + c + d + e + f;
	for (size_t i = 0; i < len; i++)
		sum += buf[i];
	return sum;
}

/* The bytes pfipc works out for FN; fails the test on an error. */
static unsigned computed(const void *fn)
{
	unsigned n = 0;
	char why[256];
	int rc = stack_bytes_of(fn, &n, why, sizeof why);
	if (rc)
		fail_msg("stack_bytes_of: %d: %s", rc, why);
	return n;
}

static void assert_message_has(const char *part)
{
	const char *msg = pf_error_message();
	if (!strstr(msg, part))
		fail_msg("pf_error_message() is \"%s\", without \"%s\"", msg, part);
}

/* ---- what is worked out -------------------------------------------------- */

static void seven_integers_need_8(void **state)
{
	(void)state;
	assert_int_equal(computed(seven_ints), 8);
}

static void long_double_after_seven_integers_needs_32(void **state)
{
	(void)state;
	/* The 7th integer at 0, the long double 16-aligned at 16. */
	assert_int_equal(computed(ld_after_seven), 32);
}

static void int128_after_five_integers_goes_whole_on_the_stack(void **state)
{
	(void)state;
#if defined(__clang__) && __clang_major__ < 18
	/* clang before 18 splits it between r9 and the stack. */
	assert_int_equal(computed(int128_after_five), 8);
#else
	assert_int_equal(computed(int128_after_five), 16);
#endif
}

static void struct_over_16_bytes_goes_on_the_stack_between_registers(void **state)
{
	(void)state;
	/* The struct at 0..24; the int after it still has no register. */
	assert_int_equal(computed(triple_between), 32);
}

static void result_in_memory_takes_rdi(void **state)
{
	(void)state;
	assert_int_equal(computed(ret_triple), 8);
}

static void variadic_counts_named_parameters_only(void **state)
{
	(void)state;
	assert_int_equal(computed(named_seven), 8);
}

/* ---- pf_export ------------------------------------------------------------ */

static const struct one_export auto_exports[] = {
	{ "sbauto.ld7", (void *)ld_after_seven, PF_STACK_AUTO, 0 },
	{ 0 },
};

static void auto_export_calls_long_double_after_seven_integers(void **state)
{
	(void)state;
	pf_process *server = start_server("sbauto", auto_exports);
	__typeof__(&ld_after_seven) f =
		(__typeof__(f))pf_import_gate(import_ok("sbauto.ld7"));
	long double want = ld_after_seven(1, 2, 3, 4, 5, 6, 7, 1.25L);
	long double got = f(1, 2, 3, 4, 5, 6, 7, 1.25L);
	assert_int_equal(pf_errno(), 0);
	assert_memory_equal(&got, &want, 10);
	/* Other values: what an under-declared export reads may be what an
	 * earlier call left on the server's stack. */
	want = ld_after_seven(-7, 6, -5, 4, -3, 2, -1, 3.5L);
	got = f(-7, 6, -5, 4, -3, 2, -1, 3.5L);
	assert_memory_equal(&got, &want, 10);
	stop_server(server);
}

static void auto_export_buffers_finds_a_buffer_on_the_stack(void **state)
{
	(void)state;
	pf_buffer_param buf[] = {
		{ PF_ARG_STACK(0), PF_ARG_STACK(1), PF_BUF_IN, 8, 64 },
	};
	/* The pointer at 0 and the length at 8: inside the 16 bytes worked
	 * out. A length beyond them is refused. */
	assert_int_equal(pf_export_buffers("sbbuf.sum", (void *)sum_buffer,
					   PF_STACK_AUTO, 0, buf, 1), 0);
	buf[0].len_arg = PF_ARG_STACK(2);
	assert_int_equal(pf_export_buffers("sbbuf.beyond", (void *)sum_buffer,
					   PF_STACK_AUTO, 0, buf, 1), -EINVAL);
}

static void declared_count_that_differs_fails_with_message(void **state)
{
	(void)state;
	assert_int_equal(pf_export("sbcheck.ld7", (void *)ld_after_seven, 24, 0),
			 -EINVAL);
	assert_message_has("pf_export: sbcheck.ld7 declares 24 stack bytes, its "
			   "prototype needs 32");
	assert_message_has("'x' (long double)");
	assert_int_equal(pf_export("sbcheck.ints", (void *)seven_ints, 0, 0), -EINVAL);
	assert_message_has("sbcheck.ints declares 0 stack bytes, its prototype needs 8");
}

static void declared_count_that_matches_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(pf_export("sbok.ld7", (void *)ld_after_seven, 32, 0), 0);
	assert_int_equal(pf_export("sbok.ints", (void *)seven_ints, 8, 0), 0);
}

static void as_declared_flag_skips_the_check(void **state)
{
	(void)state;
	/* For what DWARF cannot describe (README): the caller knows better. */
	assert_int_equal(pf_export("sbtrust.ld7", (void *)ld_after_seven, 24,
				   PF_EXPORT_STACK_AS_DECLARED), 0);
	assert_int_equal(pf_export("sbtrust.auto", (void *)ld_after_seven,
				   PF_STACK_AUTO, PF_EXPORT_STACK_AS_DECLARED), 0);
}

static void variadic_may_declare_more_than_its_named_parameters(void **state)
{
	(void)state;
	assert_int_equal(pf_export("sbvar.more", (void *)named_seven, 40, 0), 0);
	assert_int_equal(pf_export("sbvar.less", (void *)named_seven, 0, 0), -EINVAL);
	assert_message_has("its named parameters need 8");
}

static void auto_beyond_the_maximum_fails(void **state)
{
	(void)state;
	assert_int_equal(computed(huge_by_value), 520);
	assert_int_equal(pf_export("sbhuge.h", (void *)huge_by_value, PF_STACK_AUTO, 0),
			 -EINVAL);
	assert_message_has("needs 520 stack bytes, more than PF_MAX_STACK_BYTES");
}

/* ---- without debug information ------------------------------------------ */

static void library_without_debug_info_needs_g_for_auto(void **state)
{
	(void)state;
	unsigned n;
	char why[256];
	assert_int_equal(stack_bytes_of((void *)nodebug_add7, &n, why, sizeof why),
			 -ENOENT);
	assert_non_null(strstr(why, "-g"));
	assert_int_equal(pf_export("sbnodebug.auto", (void *)nodebug_add7,
				   PF_STACK_AUTO, 0), -EINVAL);
	assert_message_has("sbnodebug.auto: cannot work out its stack bytes");
	assert_message_has("build it with -g");
}

static const struct one_export nodebug_exports[] = {
	{ "sbnodebug.add7", (void *)nodebug_add7, 8, 0 },
	{ 0 },
};

static void library_without_debug_info_takes_a_declared_count(void **state)
{
	(void)state;
	pf_process *server = start_server("sbnodebug", nodebug_exports);
	__typeof__(&nodebug_add7) f =
		(__typeof__(f))pf_import_gate(import_ok("sbnodebug.add7"));
	assert_int_equal(f(1, 2, 3, 4, 5, 6, 7), nodebug_add7(1, 2, 3, 4, 5, 6, 7));
	assert_int_equal(pf_errno(), 0);
	stop_server(server);
}

static void g1_debug_info_is_not_enough(void **state)
{
	(void)state;
	unsigned n;
	char why[256];
	assert_int_equal(stack_bytes_of((void *)g1_add7, &n, why, sizeof why),
			 -ENOENT);
	assert_non_null(strstr(why, "-g"));
	assert_int_equal(pf_export("sbg1.auto", (void *)g1_add7, PF_STACK_AUTO, 0),
			 -EINVAL);
	assert_message_has("sbg1.auto: cannot work out its stack bytes");
	assert_int_equal(pf_export("sbg1.declared", (void *)g1_add7, 8, 0), 0);
}

static void libc_function_uses_libc_debug_info_only_if_installed(void **state)
{
	(void)state;
	unsigned n = 99;
	char why[256];
	int rc = stack_bytes_of((void *)labs, &n, why, sizeof why);
	if (rc == 0) {
		/* libc's separate debug information is installed
		 * (/usr/lib/debug): labs(long) takes nothing on the stack. */
		print_message("labs: libc debug information found: %s\n", why);
		assert_int_equal(n, 0);
		assert_int_equal(pf_export("sblibc.auto", (void *)labs, PF_STACK_AUTO, 0), 0);
	} else {
		print_message("labs: %s\n", why);
		assert_int_equal(rc, -ENOENT);
		assert_int_equal(pf_export("sblibc.auto", (void *)labs, PF_STACK_AUTO, 0),
				 -EINVAL);
		assert_message_has("build it with -g");
	}
	assert_int_equal(pf_export("sblibc.declared", (void *)labs, 0, 0), 0);
}

/* ---- types pfipc cannot classify ----------------------------------------- */

static void unclassifiable_parameter_is_named(void **state)
{
	(void)state;
	unsigned n;
	char why[256];
	assert_int_equal(stack_bytes_of((void *)wide_vector, &n, why, sizeof why),
			 -ENOTSUP);
	if (!strstr(why, "parameter 'v'") || !strstr(why, "v8sf") || !strstr(why, "AVX"))
		fail_msg("why: %s", why);
	assert_int_equal(pf_export("sbwide.auto", (void *)wide_vector, PF_STACK_AUTO, 0),
			 -EINVAL);
	assert_message_has("parameter 'v'");
	/* Declared: taken on trust, as without debug information. */
	assert_int_equal(pf_export("sbwide.declared", (void *)wide_vector, 0, 0), 0);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seven_integers_need_8),
		cmocka_unit_test(long_double_after_seven_integers_needs_32),
		cmocka_unit_test(int128_after_five_integers_goes_whole_on_the_stack),
		cmocka_unit_test(struct_over_16_bytes_goes_on_the_stack_between_registers),
		cmocka_unit_test(result_in_memory_takes_rdi),
		cmocka_unit_test(variadic_counts_named_parameters_only),
		cmocka_unit_test(auto_export_calls_long_double_after_seven_integers),
		cmocka_unit_test(auto_export_buffers_finds_a_buffer_on_the_stack),
		cmocka_unit_test(declared_count_that_differs_fails_with_message),
		cmocka_unit_test(declared_count_that_matches_is_accepted),
		cmocka_unit_test(as_declared_flag_skips_the_check),
		cmocka_unit_test(variadic_may_declare_more_than_its_named_parameters),
		cmocka_unit_test(auto_beyond_the_maximum_fails),
		cmocka_unit_test(library_without_debug_info_needs_g_for_auto),
		cmocka_unit_test(library_without_debug_info_takes_a_declared_count),
		cmocka_unit_test(g1_debug_info_is_not_enough),
		cmocka_unit_test(libc_function_uses_libc_debug_info_only_if_installed),
		cmocka_unit_test(unclassifiable_parameter_is_named),
	};
	int failed = cmocka_run_group_tests_name("stack bytes", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
