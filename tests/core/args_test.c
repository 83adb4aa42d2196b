/* The argument and return matrix: every signature is called directly and
 * through pfipc, and the two results must agree. Built at -O0 and -O2,
 * once per entry kind (ARGS_ENTRY: the gate, or a trap, ud2, int, syscall
 * or int $0x80 stub) and once more with every export migrating
 * (ARGS_FLAGS = PF_EXPORT_MIGRATE): see tests/meson.build. */
#include <stdarg.h>
#include <string.h>
#include "../common.h"
#include "../x87.h"

#ifndef ARGS_ENTRY
#define ARGS_ENTRY PF_ENTRY_GATE
#endif
#ifndef ARGS_FLAGS
#define ARGS_FLAGS 0
#endif
#define MIGRATING ((ARGS_FLAGS & PF_EXPORT_MIGRATE) != 0)

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
/* Complex values: float _Complex is one SSE register, double _Complex two,
 * long double _Complex goes in memory and comes back in st0 (real) and st1
 * (imaginary). */
static float _Complex fc(float _Complex a, float _Complex b) { return a * b + 1.0f; }
static double _Complex dc(double _Complex a, double _Complex b) { return a * b - 2.0; }
static long double _Complex ldc(long double _Complex a, long double _Complex b)
{ return a * b + 1.0L / 3.0L; }
static long double _Complex ldc_of(double re, double im)
{ return __builtin_complex((long double)re / 3, (long double)im / 7); }
/* Stack: a (32 bytes), then d (16): 48. */
static long double _Complex ldc_mix(int n, long double _Complex a, double _Complex b,
				    float _Complex c, long double d)
{ return a * n + b - c + d; }
static double _Complex dc_of_ldc(long double _Complex z) { return (double _Complex)(z * z); }
/* How many x87 registers hold a value on the thread that runs it. */
static int x87_count(void) { return x87_in_use(); }
/* A misbehaving callee: leaves three values on the x87 stack (st0 = pi,
 * st1 = log2(10), st2 = -1) where a long double _Complex leaves two. The
 * third is negative on purpose: an emptied register keeps its sign, which
 * FXAM reports even for an empty one. */
long double _Complex pushes_three_x87_values(void);
__asm__(".text\n"
	".type pushes_three_x87_values, @function\n"
	"pushes_three_x87_values:\n"
	"\tfld1\n"
	"\tfchs\n"
	"\tfldl2t\n"
	"\tfldpi\n"
	"\tret\n"
	".size pushes_three_x87_values, .-pushes_three_x87_values\n");
static long double x87_pi(void) { long double v; __asm__("fldpi" : "=t"(v)); return v; }
static long double x87_log2_10(void) { long double v; __asm__("fldl2t" : "=t"(v)); return v; }
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
	{ "args.i0", (void *)i0, 0, ARGS_FLAGS },       { "args.i1", (void *)i1, 0, ARGS_FLAGS },
	{ "args.i2", (void *)i2, 0, ARGS_FLAGS },       { "args.i3", (void *)i3, 0, ARGS_FLAGS },
	{ "args.i4", (void *)i4, 0, ARGS_FLAGS },       { "args.i5", (void *)i5, 0, ARGS_FLAGS },
	{ "args.i6", (void *)i6, 0, ARGS_FLAGS },       { "args.narrow", (void *)narrow, 0, ARGS_FLAGS },
	{ "args.d8", (void *)d8, 0, ARGS_FLAGS },       { "args.mix", (void *)mix, 0, ARGS_FLAGS },
	{ "args.many", (void *)many, 64, ARGS_FLAGS },  { "args.f1", (void *)f1, 0, ARGS_FLAGS },
	{ "args.df", (void *)df, 0, ARGS_FLAGS },       { "args.ld", (void *)ld, 32, ARGS_FLAGS },
	{ "args.i128", (void *)i128, 0, ARGS_FLAGS },   { "args.pair", (void *)pair_of, 0, ARGS_FLAGS },
	{ "args.dpair", (void *)dpair_of, 0, ARGS_FLAGS }, { "args.mixed", (void *)mixed_of, 0, ARGS_FLAGS },
	{ "args.big", (void *)big_of, 0, ARGS_FLAGS },  { "args.byval", (void *)by_value, 32, ARGS_FLAGS },
	{ "args.vsum", (void *)vsum, 0, ARGS_FLAGS },
	{ "args.fc", (void *)fc, 0, ARGS_FLAGS },       { "args.dc", (void *)dc, 0, ARGS_FLAGS },
	{ "args.ldc", (void *)ldc, 64, ARGS_FLAGS },    { "args.ldc_of", (void *)ldc_of, 0, ARGS_FLAGS },
	{ "args.ldc_mix", (void *)ldc_mix, 48, ARGS_FLAGS },
	{ "args.dc_of_ldc", (void *)dc_of_ldc, 32, ARGS_FLAGS },
	{ "args.x87_count", (void *)x87_count, 0, ARGS_FLAGS },
	{ "args.three", (void *)pushes_three_x87_values, 0, ARGS_FLAGS },
	{ "args.ldc_migrating", (void *)ldc, 64, PF_EXPORT_MIGRATE },
	{ "args.x87_count_migrating", (void *)x87_count, 0, PF_EXPORT_MIGRATE },
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

/* The entry of IMP that this build calls through. */
static void *entry_of(pf_import *imp)
{
	void *e = NULL;
	assert_int_equal(pf_import_entry(imp, ARGS_ENTRY, &e), 0);
	return e;
}

/* The entry of NAME, typed like FN. */
#define GATE(name, fn) ((__typeof__(&fn))entry_of(import_ok(name)))

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

/* Both parts, all 80 bits of each. */
static void assert_same_ldc(long double _Complex got, long double _Complex want)
{
	long double gr = __real__ got, gi = __imag__ got;
	long double wr = __real__ want, wi = __imag__ want;
	assert_memory_equal(&gr, &wr, 10);
	assert_memory_equal(&gi, &wi, 10);
}

static void complex_arguments_and_results(void **state)
{
	(void)state;
	float _Complex fa = __builtin_complex(1.5f, -2.25f), fb = __builtin_complex(0.5f, 3.0f);
	float _Complex fgot = GATE("args.fc", fc)(fa, fb), fwant = fc(fa, fb);
	assert_memory_equal(&fgot, &fwant, sizeof fgot);
	double _Complex da = __builtin_complex(1.0 / 3, 7.5), db = __builtin_complex(-2.0, 1e-3);
	double _Complex dgot = GATE("args.dc", dc)(da, db), dwant = dc(da, db);
	assert_memory_equal(&dgot, &dwant, sizeof dgot);
	long double _Complex la = __builtin_complex(1.0L / 7, -3.5L);
	long double _Complex lb = __builtin_complex(1e300L, 1e-4000L);
	assert_same_ldc(GATE("args.ldc", ldc)(la, lb), ldc(la, lb));
	assert_same_ldc(GATE("args.ldc_of", ldc_of)(2.0, -5.0), ldc_of(2.0, -5.0));
	assert_same_ldc(GATE("args.ldc_mix", ldc_mix)(3, la, da, fa, 1.0L / 9),
			ldc_mix(3, la, da, fa, 1.0L / 9));
	double _Complex zgot = GATE("args.dc_of_ldc", dc_of_ldc)(la), zwant = dc_of_ldc(la);
	assert_memory_equal(&zgot, &zwant, sizeof zgot);
	assert_int_equal(pf_errno(), 0);
	assert_int_equal(x87_in_use(), 0);
}

/* Each result right, and afterwards nothing left on either thread's x87
 * stack: a register left full on the server would overflow its stack
 * within 8 calls and turn every later long double result into a NaN. */
static void hundred_long_double_complex_calls_leave_x87_stacks_empty(void **state)
{
	(void)state;
	long double _Complex (*f)(long double _Complex, long double _Complex) = GATE("args.ldc", ldc);
	for (int i = 0; i < 100; i++) {
		long double _Complex a = __builtin_complex(1.0L * i, -0.5L);
		long double _Complex b = __builtin_complex(1.0L / 3, 2.0L * i + 1);
		assert_same_ldc(f(a, b), ldc(a, b));
	}
	assert_int_equal(GATE("args.x87_count", x87_count)(), 0);
	assert_int_equal(x87_in_use(), 0);
	/* And the other return kinds still come back right on that thread. */
	long double want = ld(1.1L, 3.3L), got = GATE("args.ld", ld)(1.1L, 3.3L);
	assert_memory_equal(&got, &want, 10);
	assert_true(GATE("args.df", df)(1.25) == df(1.25));
}

static void migrating_long_double_complex_calls_leave_x87_empty(void **state)
{
	(void)state;
	long double _Complex (*f)(long double _Complex, long double _Complex) =
		GATE("args.ldc_migrating", ldc);
	for (int i = 0; i < 100; i++) {
		long double _Complex a = __builtin_complex(-1.0L * i, 0.25L);
		long double _Complex b = __builtin_complex(1.0L / 9, 1.0L * i);
		assert_same_ldc(f(a, b), ldc(a, b));
	}
	assert_int_equal(GATE("args.x87_count_migrating", x87_count)(), 0);
	assert_int_equal(x87_in_use(), 0);
}

static void async_long_double_complex_result_in_st0_and_st1(void **state)
{
	(void)state;
	pf_import *imp;
	assert_int_equal(pf_import_create(&imp, "args.ldc", PF_IMPORT_ASYNC), 0);
	uint64_t (*f)(long double _Complex, long double _Complex) =
		(uint64_t (*)(long double _Complex, long double _Complex))entry_of(imp);
	for (int i = 0; i < 20; i++) {
		long double _Complex a = __builtin_complex(1.0L / (i + 1), 3.0L);
		long double _Complex b = __builtin_complex(2.0L, -1.0L * i);
		uint64_t ticket = f(a, b);
		assert_int_not_equal(ticket, 0);
		pf_result r;
		assert_int_equal(pf_wait(ticket, -1, &r), 0);
		assert_int_equal(r.has_long_double, 2);
		assert_same_ldc(__builtin_complex(r.st0, r.st1), ldc(a, b));
	}
	/* A plain long double is one x87 value; a double none. */
	assert_int_equal(pf_import_create(&imp, "args.ld", PF_IMPORT_ASYNC), 0);
	pf_result r;
	assert_int_equal(pf_wait(((uint64_t (*)(long double, long double))entry_of(imp))(1.1L, 3.3L), -1, &r), 0);
	long double want = ld(1.1L, 3.3L);
	assert_int_equal(r.has_long_double, 1);
	assert_memory_equal(&r.st0, &want, 10);
	assert_int_equal(pf_import_create(&imp, "args.df", PF_IMPORT_ASYNC), 0);
	assert_int_equal(pf_wait(((uint64_t (*)(double))entry_of(imp))(1.25), -1, &r), 0);
	assert_int_equal(r.has_long_double, 0);
	assert_true(r.xmm0[0] == df(1.25));
	assert_int_equal(GATE("args.x87_count", x87_count)(), 0);
	assert_int_equal(x87_in_use(), 0);
}

/* A callee that leaves more on the x87 stack than any return type does:
 * the caller gets the top two (as a direct call would), the server keeps
 * nothing. */
static void callee_leaving_three_x87_values_leaves_server_empty(void **state)
{
	(void)state;
	long double _Complex (*f)(void) = GATE("args.three", pushes_three_x87_values);
	for (int i = 0; i < 10; i++)
		assert_same_ldc(f(), __builtin_complex(x87_pi(), x87_log2_10()));
	assert_int_equal(GATE("args.x87_count", x87_count)(), 0);
	assert_int_equal(x87_in_use(), 0);
	/* The next call that returns no x87 value gives the caller none. */
	f();
	assert_true(GATE("args.df", df)(0.5) == df(0.5));
	assert_int_equal(x87_in_use(), 0);
}

/* A caller that declares double for a long double function is left with
 * st0 it never pops, exactly as after a direct call; the server is not. */
static void long_double_returned_to_a_double_caller_leaves_server_empty(void **state)
{
	(void)state;
	double (*volatile direct)(long double, long double) = (double (*)(long double, long double))(void *)ld;
	double (*via)(long double, long double) =
		(double (*)(long double, long double))entry_of(import_ok("args.ld"));
	(void)direct(1.0L, 2.0L);
	int after_direct = x87_in_use();
	x87_clear();
	for (int i = 0; i < 10; i++) {
		(void)via(1.0L, 2.0L);
		assert_int_equal(x87_in_use(), after_direct);
		x87_clear();
	}
	assert_int_equal(after_direct, 1);
	assert_int_equal(GATE("args.x87_count", x87_count)(), 0);
}

/* The ABI keeps the x87 control word across a call (callee-saved) and
 * leaves on the x87 stack only what the callee returned. */
static void caller_x87_control_word_kept_and_stack_holds_only_the_result(void **state)
{
	(void)state;
	uint16_t before = x87_control_word();
	uint16_t odd = (uint16_t)((before & ~0x0f00u) | 0x0e00u);  /* toward zero, 64-bit */
	x87_set_control_word(odd);
	double d = GATE("args.df", df)(1.25);
	uint16_t after_double = x87_control_word();
	int in_use_double = x87_in_use();
	long double l = GATE("args.ld", ld)(1.1L, 3.3L);
	uint16_t after_ld = x87_control_word();
	long double _Complex z = GATE("args.ldc_of", ldc_of)(2.0, 3.0);
	uint16_t after_ldc = x87_control_word();
	int in_use_ldc = x87_in_use();
	x87_set_control_word(before);
	assert_int_equal(after_double, odd);
	assert_int_equal(after_ld, odd);
	assert_int_equal(after_ldc, odd);
	assert_int_equal(in_use_double, 0);
	assert_int_equal(in_use_ldc, 0);   /* both parts were popped into z */
	/* The export computed with its thread's control word: the server's,
	 * the default one, or, migrating, the caller's (called through a
	 * volatile pointer, so that the compiler cannot fold it). */
	long double (*volatile ld_direct)(long double, long double) = ld;
	long double _Complex (*volatile ldc_of_direct)(double, double) = ldc_of;
	if (MIGRATING)
		x87_set_control_word(odd);
	long double lwant = ld_direct(1.1L, 3.3L);
	long double _Complex zwant = ldc_of_direct(2.0, 3.0);
	x87_set_control_word(before);
	assert_true(d == df(1.25));
	assert_memory_equal(&l, &lwant, 10);
	assert_same_ldc(z, zwant);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	if (pf_entry_enable(ARGS_ENTRY) == -EOPNOTSUPP)
		return 77;   /* the machine lacks this entry: a skip */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_to_six_integers),
		cmocka_unit_test(eight_doubles_and_mixed),
		cmocka_unit_test(twenty_two_arguments_with_stack_bytes),
		cmocka_unit_test(float_double_long_double),
		cmocka_unit_test(int128),
		cmocka_unit_test(structs_returned),
		cmocka_unit_test(variadic_callee),
		cmocka_unit_test(complex_arguments_and_results),
		cmocka_unit_test(hundred_long_double_complex_calls_leave_x87_stacks_empty),
		cmocka_unit_test(migrating_long_double_complex_calls_leave_x87_empty),
		cmocka_unit_test(async_long_double_complex_result_in_st0_and_st1),
		cmocka_unit_test(callee_leaving_three_x87_values_leaves_server_empty),
		cmocka_unit_test(long_double_returned_to_a_double_caller_leaves_server_empty),
		cmocka_unit_test(caller_x87_control_word_kept_and_stack_holds_only_the_result),
	};
	int failed = _cmocka_run_group_tests(ARGS_GROUP, tests,
					     sizeof tests / sizeof tests[0], setup, teardown);
	pf_thread_detach();
	return failed;
}
