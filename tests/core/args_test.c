/* The argument and return matrix: every signature is called directly and
 * through pfipc, and the two results must agree. Built at -O0 and -O2. */
#include <stdarg.h>
#include <string.h>
#include "../common.h"

struct pair { long a, b; };                 /* 16 bytes: rax:rdx */
struct dpair { double x, y; };              /* 16 bytes: xmm0:xmm1 */
struct mixed { long i; double d; };         /* 16 bytes: rax:xmm0 */
struct big { long v[8]; };                  /* 64 bytes: hidden pointer */
struct stackish { long a, b, c, d; };       /* 32 bytes by value: memory */

static long i0(void) { return 12345; }
static long i1(long a) { return a * 3; }
static long i2(long a, long b) { return a - b; }
static long i3(long a, long b, long c) { return a * b + c; }
static long i4(long a, long b, long c, long d) { return a - b * c + d; }
static long i5(long a, long b, long c, long d, long e) { return a + 2 * b + 3 * c + 4 * d + 5 * e; }
static long i6(long a, long b, long c, long d, long e, long f) { return a ^ b ^ c ^ d ^ e ^ (f << 1); }
static int narrow(char c, short s, int i, unsigned char u) { return c * 1000000 + s * 1000 + i + u; }
static double d8(double a, double b, double c, double d, double e, double f, double g, double h)
{ return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8; }
static double mix(int a, double b, long c, float d, char e, double f)
{ return a * b + (double)c * d + e - f; }
/* 12 integers (6 on the stack) and 10 doubles (2 on the stack): 64 bytes. */
static long many(long a, long b, long c, long d, long e, long f, long g, long h,
		 long i, long j, long k, long l, double x0, double x1, double x2,
		 double x3, double x4, double x5, double x6, double x7, double x8,
		 double x9)
{
	return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8 + i * 9 +
	       j * 10 + k * 11 + l * 12 +
	       (long)(x0 + x1 * 2 + x2 * 3 + x3 * 4 + x4 * 5 + x5 * 6 + x6 * 7 +
		      x7 * 8 + x8 * 9 + x9 * 10);
}
static float f1(float a, float b) { return a / b; }
static double df(double a) { return a * a + 0.5; }
static long double ld(long double a, long double b) { return a * b + 1.0L / 3.0L; }
static __int128 i128(__int128 a, __int128 b) { return a * b + 1; }
static struct pair pair_of(long a, long b) { return (struct pair){ a + 1, b - 1 }; }
static struct dpair dpair_of(double x) { return (struct dpair){ x / 2, x * 2 }; }
static struct mixed mixed_of(long i, double d) { return (struct mixed){ i * 2, d / 4 }; }
static struct big big_of(long seed)
{
	struct big b;
	for (int i = 0; i < 8; i++)
		b.v[i] = seed * (i + 1) - i;
	return b;
}
static long by_value(struct stackish s, long k) { return (s.a + s.b * 10 + s.c * 100 + s.d * 1000) * k; }
static double vsum(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	double total = 0;
	for (int i = 0; i < n; i++)
		total += (i % 2) ? va_arg(ap, double) : (double)va_arg(ap, long);
	va_end(ap);
	return total;
}

static const struct one_export exports[] = {
	{ "args.i0", (void *)i0, 0, 0 },       { "args.i1", (void *)i1, 0, 0 },
	{ "args.i2", (void *)i2, 0, 0 },       { "args.i3", (void *)i3, 0, 0 },
	{ "args.i4", (void *)i4, 0, 0 },       { "args.i5", (void *)i5, 0, 0 },
	{ "args.i6", (void *)i6, 0, 0 },       { "args.narrow", (void *)narrow, 0, 0 },
	{ "args.d8", (void *)d8, 0, 0 },       { "args.mix", (void *)mix, 0, 0 },
	{ "args.many", (void *)many, 64, 0 },  { "args.f1", (void *)f1, 0, 0 },
	{ "args.df", (void *)df, 0, 0 },       { "args.ld", (void *)ld, 32, 0 },
	{ "args.i128", (void *)i128, 0, 0 },   { "args.pair", (void *)pair_of, 0, 0 },
	{ "args.dpair", (void *)dpair_of, 0, 0 }, { "args.mixed", (void *)mixed_of, 0, 0 },
	{ "args.big", (void *)big_of, 0, 0 },  { "args.byval", (void *)by_value, 32, 0 },
	{ "args.vsum", (void *)vsum, 0, 0 },
	{ 0 },
};

static pf_process *server;

static int setup(void **state)
{
	(void)state;
	server = start_server("args", exports);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server(server);
	return 0;
}

/* The gate of NAME, typed like FN. */
#define GATE(name, fn) ((__typeof__(&fn))pf_import_gate(import_ok(name)))

static void zero_to_six_integers(void **state)
{
	(void)state;
	assert_int_equal(GATE("args.i0", i0)(), i0());
	assert_int_equal(GATE("args.i1", i1)(-7), i1(-7));
	assert_int_equal(GATE("args.i2", i2)(5, 9), i2(5, 9));
	assert_int_equal(GATE("args.i3", i3)(3, 4, 5), i3(3, 4, 5));
	assert_int_equal(GATE("args.i4", i4)(1, 2, 3, 4), i4(1, 2, 3, 4));
	assert_int_equal(GATE("args.i5", i5)(1, 2, 3, 4, 5), i5(1, 2, 3, 4, 5));
	assert_int_equal(GATE("args.i6", i6)(11, 22, 33, 44, 55, 1L << 40),
			 i6(11, 22, 33, 44, 55, 1L << 40));
	assert_int_equal(GATE("args.narrow", narrow)(-3, -300, 70000, 200),
			 narrow(-3, -300, 70000, 200));
	assert_int_equal(pf_errno(), 0);
}

static void eight_doubles_and_mixed(void **state)
{
	(void)state;
	assert_true(GATE("args.d8", d8)(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5) ==
		    d8(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5));
	assert_true(GATE("args.mix", mix)(3, 0.25, -9, 1.5f, 'x', 1e10) ==
		    mix(3, 0.25, -9, 1.5f, 'x', 1e10));
}

static void twenty_two_arguments_with_stack_bytes(void **state)
{
	(void)state;
	long got = GATE("args.many", many)(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0.5,
					   1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5);
	assert_int_equal(got, many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0.5, 1.5, 2.5,
				   3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5));
}

static void float_double_long_double(void **state)
{
	(void)state;
	assert_true(GATE("args.f1", f1)(1.0f, 3.0f) == f1(1.0f, 3.0f));
	assert_true(GATE("args.df", df)(1.25) == df(1.25));
	long double want = ld(1.1L, 3.3L);
	long double got = GATE("args.ld", ld)(1.1L, 3.3L);
	assert_memory_equal(&got, &want, 10);   /* all 80 bits */
	/* The x87 stack is balanced afterwards: many calls in a row still
	 * compute correctly (a leaked entry would overflow it within 8). */
	for (int i = 0; i < 20; i++)
		assert_true(GATE("args.df", df)(i) + 1.0L * i == df(i) + 1.0L * i);
}

static void int128(void **state)
{
	(void)state;
	__int128 a = ((__int128)1 << 100) + 12345, b = 3;
	assert_true(GATE("args.i128", i128)(a, b) == i128(a, b));
}

static void structs_returned(void **state)
{
	(void)state;
	struct pair p = GATE("args.pair", pair_of)(10, 20), pw = pair_of(10, 20);
	assert_memory_equal(&p, &pw, sizeof p);
	struct dpair d = GATE("args.dpair", dpair_of)(3.0), dw = dpair_of(3.0);
	assert_memory_equal(&d, &dw, sizeof d);
	struct mixed m = GATE("args.mixed", mixed_of)(21, 2.0), mw = mixed_of(21, 2.0);
	assert_memory_equal(&m, &mw, sizeof m);
	struct big b = GATE("args.big", big_of)(7), bw = big_of(7);
	assert_memory_equal(&b, &bw, sizeof b);
	struct stackish s = { 1, 2, 3, 4 };
	assert_int_equal(GATE("args.byval", by_value)(s, 3), by_value(s, 3));
}

static void variadic_callee(void **state)
{
	(void)state;
	double (*f)(int, ...) = GATE("args.vsum", vsum);
	assert_true(f(5, 1L, 0.5, 2L, 0.25, 3L) == vsum(5, 1L, 0.5, 2L, 0.25, 3L));
	assert_true(f(0) == 0.0);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_to_six_integers),
		cmocka_unit_test(eight_doubles_and_mixed),
		cmocka_unit_test(twenty_two_arguments_with_stack_bytes),
		cmocka_unit_test(float_double_long_double),
		cmocka_unit_test(int128),
		cmocka_unit_test(structs_returned),
		cmocka_unit_test(variadic_callee),
	};
	int failed = _cmocka_run_group_tests(ARGS_GROUP, tests,
					     sizeof tests / sizeof tests[0], setup, teardown);
	pf_thread_detach();
	return failed;
}
