/* Stack bytes in the i386 build: the i386 psABI passes every argument on
 * the stack, each at a 4-byte aligned offset taking its size rounded up to
 * 4, after the hidden pointer of a struct result; so the stack bytes are
 * the whole argument size. Worked out from the debug information
 * (ident/stack_bytes.c, ident/cdecl_class.c), and what pf_export does with
 * a declared count. Built with -g. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "../common.h"
#include "ident/stack_bytes.h"

_Static_assert(sizeof(void *) == 4, "the i386 rule");

struct pair { int a, b; };
struct odd { char c[5]; };                    /* 5 bytes: 8 on the stack */
struct big { int v[16]; };
struct __attribute__((aligned(16))) wide { int x; };
typedef float v4sf __attribute__((vector_size(16)));

void none(void) {}
int ints(int a, int b, int c) { return a + b + c; }
long long wide_ints(long long a, int b, long long c) { return a + b + c; }
int narrow(char a, short b, unsigned char c) { return a + b + c; }
double floats(float a, double b, long double c) { return a + b + (double)c; }
int by_value(struct pair p, struct odd o, struct big b) { return p.a + o.c[0] + b.v[0]; }
struct pair returns_pair(int a) { return (struct pair){ a, a }; }
struct big returns_big(void) { return (struct big){ { 0 } }; }
float _Complex returns_fc(float a) { return a; }
double _Complex returns_dc(double a) { return a; }
int named_two(int n, const char *fmt, ...) { return n + (fmt != 0); }
int aligned_struct(int a, struct wide w) { return a + w.x; }
int vector_arg(int a, v4sf v) { return a + (int)v[0]; }

static unsigned bytes_of(void *fn)
{
	unsigned n = 0;
	char why[256];
	int rc = stack_bytes_of(fn, &n, why, sizeof why);
	if (rc)
		print_error("stack_bytes_of: %d: %s\n", rc, why);
	assert_int_equal(rc, 0);
	return n;
}

static void every_argument_is_on_the_stack_rounded_to_4(void **state)
{
	(void)state;
	assert_int_equal(bytes_of((void *)none), 0);
	assert_int_equal(bytes_of((void *)ints), 12);
	assert_int_equal(bytes_of((void *)wide_ints), 8 + 4 + 8);
	assert_int_equal(bytes_of((void *)narrow), 12);
	assert_int_equal(bytes_of((void *)floats), 4 + 8 + 12);
}

static void structs_by_value_take_their_size_rounded_to_4(void **state)
{
	(void)state;
	assert_int_equal(bytes_of((void *)by_value), 8 + 8 + 64);
}

static void a_struct_result_adds_its_hidden_pointer(void **state)
{
	(void)state;
	assert_int_equal(bytes_of((void *)returns_pair), 4 + 4);
	assert_int_equal(bytes_of((void *)returns_big), 4);
	/* A _Complex float comes back in edx:eax, a _Complex double in memory. */
	assert_int_equal(bytes_of((void *)returns_fc), 4);
	assert_int_equal(bytes_of((void *)returns_dc), 4 + 8);
}

static void a_variadic_function_counts_its_named_parameters(void **state)
{
	(void)state;
	assert_int_equal(bytes_of((void *)named_two), 8);
}

static void types_the_compilers_pass_differently_are_refused(void **state)
{
	(void)state;
	unsigned n;
	char why[256];
	assert_int_equal(stack_bytes_of((void *)aligned_struct, &n, why, sizeof why), -ENOTSUP);
	assert_non_null(strstr(why, "aligned beyond 4 bytes"));
	assert_int_equal(stack_bytes_of((void *)vector_arg, &n, why, sizeof why), -ENOTSUP);
	assert_non_null(strstr(why, "vector"));
}


static void export_takes_auto_and_checks_a_declared_count(void **state)
{
	(void)state;
	pf_process *p;
	assert_int_equal(pf_process_join_self(&p, "sbtest"), 0);
	assert_int_equal(pf_export("sbtest.ints", (void *)ints, PF_STACK_AUTO, 0), 0);
	assert_int_equal(pf_export("sbtest.ints12", (void *)ints, 12, 0), 0);
	/* The x86-64 count of the same prototype is wrong here. */
	assert_int_equal(pf_export("sbtest.ints0", (void *)ints, 0, 0), -EINVAL);
	assert_non_null(strstr(pf_error_message(), "needs 12"));
	/* A multiple of 4 is enough; 6 is not. */
	assert_int_equal(pf_export("sbtest.odd", (void *)ints, 6, 0), -EINVAL);
	assert_int_equal(pf_export("sbtest.pair", (void *)returns_pair, PF_STACK_AUTO, 0), 0);
	/* A variadic function may declare room for what its callers add. */
	assert_int_equal(pf_export("sbtest.more", (void *)named_two, 40, 0), 0);
	assert_int_equal(pf_export("sbtest.less", (void *)named_two, 4, 0), -EINVAL);
	pf_thread_detach();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_argument_is_on_the_stack_rounded_to_4),
		cmocka_unit_test(structs_by_value_take_their_size_rounded_to_4),
		cmocka_unit_test(a_struct_result_adds_its_hidden_pointer),
		cmocka_unit_test(a_variadic_function_counts_its_named_parameters),
		cmocka_unit_test(types_the_compilers_pass_differently_are_refused),
		cmocka_unit_test(export_takes_auto_and_checks_a_declared_count),
	};
	return cmocka_run_group_tests_name("stack bytes (i386)", tests, NULL, NULL);
}
