/* The argument and return matrix of the i386 build: every signature is
 * called directly and through pfipc, and the two results must agree.
 * cdecl passes every argument on the stack, so what is checked here is
 * what the i386 psABI makes of it: long long and double taking two words,
 * long double three, structs by value on the stack, struct results through
 * a hidden pointer that the callee pops (ret $4), variadic callees, and the
 * conventions where the callee pops its arguments (stdcall, fastcall) or
 * takes some in registers (fastcall, regparm). Built at -O0 and -O2, once
 * per entry kind (ARGS_ENTRY) and once more migrating (ARGS_FLAGS): see
 * tests/meson.build. Stack bytes come from the debug information
 * (PF_STACK_AUTO), but for the variadic callee, which declares room for
 * what its callers add. */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include "../common.h"

#ifndef ARGS_ENTRY
#define ARGS_ENTRY PF_ENTRY_GATE
#endif
#ifndef ARGS_FLAGS
#define ARGS_FLAGS 0
#endif
/* The numbered stubs (int $N, int $0x80) carry the call number in eax, so
 * no argument can travel there (entry/pages.h). */
#define NUMBERED (ARGS_ENTRY == PF_ENTRY_INT || ARGS_ENTRY == PF_ENTRY_INT80)

_Static_assert(sizeof(void *) == 4, "the i386 matrix");

struct pair { int a, b; };                  /* 8 bytes: on the stack, returned in memory */
struct dpair { double x, y; };              /* 16 bytes */
struct tiny { char c; };                    /* 1 byte: 4 on the stack, still memory */
struct big { int v[16]; };                  /* 64 bytes */

static int i0(void) { return 12345; }
static int i3(int a, int b, int c) { return a * b + c; }
static int i6(int a, int b, int c, int d, int e, int f) { return a ^ b ^ c ^ d ^ e ^ (f << 1); }
static int narrow(char c, short s, int i, unsigned char u) { return c * 1000000 + s * 1000 + i + u; }
static long long ll(long long a, int b, long long c) { return a * b - c; }
static unsigned long long ull_of(unsigned a) { return (unsigned long long)a << 33 | 7; }
static float f2(float a, float b) { return a / b; }
static double d3(double a, int b, double c) { return a * b + c; }
static long double ld(long double a, long double b) { return a * b + 1.0L / 3.0L; }
static double mix(char a, double b, long long c, float d, short e, long double f)
{ return a * b + (double)c * d + e - (double)f; }
/* 20 words of arguments of every size: 92 bytes of stack. */
static long long many(int a, long long b, double c, char d, float e, long double f,
		      short g, int h, double i, long long j, int k, float l)
{
	return a + b * 2 + (long long)(c * 3) + d * 4 + (long long)(e * 5) +
	       (long long)(f * 6) + g * 7 + h * 8 + (long long)(i * 9) + j * 10 +
	       k * 11 + (long long)(l * 12);
}
static int sum_pair(struct pair p, int k, struct pair q) { return (p.a - p.b) * k + q.a * q.b; }
static double dot(struct dpair p, struct dpair q) { return p.x * q.x + p.y * q.y; }
static int sum_big(int first, struct big b, int last)
{
	int s = first * 1000 + last;
	for (int i = 0; i < 16; i++)
		s += b.v[i] * (i + 1);
	return s;
}
static struct pair pair_of(int a, int b) { return (struct pair){ a + 1, b * 2 }; }
static struct dpair dpair_of(double x) { return (struct dpair){ x / 3, x * 7 }; }
static struct tiny tiny_of(char c) { return (struct tiny){ (char)(c + 1) }; }
static struct big big_of(int seed)
{
	struct big b;
	for (int i = 0; i < 16; i++)
		b.v[i] = seed * i - 3;
	return b;
}
static float _Complex fc_of(float re, float im) { return __builtin_complex(re * 2, im / 2); }
static double _Complex dc_of(double re, double im) { return __builtin_complex(re / 3, im * 3); }
static int vsum(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	int s = 0;
	for (int i = 0; i < n; i++) {
		int kind = va_arg(ap, int);
		if (kind == 'd')
			s += (int)(va_arg(ap, double) * 10);
		else if (kind == 'q')
			s += (int)(va_arg(ap, long long) % 1000);
		else
			s += va_arg(ap, int);
	}
	va_end(ap);
	return s;
}
/* Callees that pop their own arguments, or take some in registers. */
__attribute__((stdcall)) static int std3(int a, int b, int c) { return a * 100 + b * 10 + c; }
__attribute__((fastcall)) static int fast4(int a, int b, int c, int d)
{ return a * 1000 + b * 100 + c * 10 + d; }
__attribute__((regparm(3))) static int reg4(int a, int b, int c, int d)
{ return a * 1000 + b * 100 + c * 10 + d; }
__attribute__((stdcall)) static struct pair std_pair(int a, int b) { return (struct pair){ b, a }; }

/* The variadic callee's stack bytes: its named int and up to 12 more
 * words (six doubles) that callers add. */
#define VSUM_STACK (4 + 12 * 4)

static const struct one_export exports[] = {
	{ "args.i0", (void *)i0, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.i3", (void *)i3, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.i6", (void *)i6, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.narrow", (void *)narrow, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.ll", (void *)ll, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.ull_of", (void *)ull_of, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.f2", (void *)f2, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.d3", (void *)d3, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.ld", (void *)ld, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.mix", (void *)mix, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.many", (void *)many, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.sum_pair", (void *)sum_pair, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.dot", (void *)dot, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.sum_big", (void *)sum_big, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.pair_of", (void *)pair_of, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.dpair_of", (void *)dpair_of, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.tiny_of", (void *)tiny_of, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.big_of", (void *)big_of, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.fc_of", (void *)fc_of, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.dc_of", (void *)dc_of, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.vsum", (void *)vsum, VSUM_STACK, ARGS_FLAGS },
	{ "args.std3", (void *)std3, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.fast4", (void *)fast4, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.reg4", (void *)reg4, PF_STACK_AUTO, ARGS_FLAGS },
	{ "args.std_pair", (void *)std_pair, PF_STACK_AUTO, ARGS_FLAGS },
	{ 0 },
};

/* Push WORDS[0..N-1] (the first argument last, at the lowest address), call
 * FN as a caller of any convention does, and tell how far esp moved from
 * before the pushes to after the call: -4 * N for a cdecl callee, less
 * what the callee popped itself. eax is the result. */
int call_words(void *fn, const int *words, int n, int *moved);
__asm__(".text\n"
	".type call_words, @function\n"
	"call_words:\n"
	"\tpush %ebp\n"
	"\tmov %esp, %ebp\n"
	"\tpush %ebx\n"
	"\tpush %esi\n"
	"\tmov 12(%ebp), %esi\n"          /* words */
	"\tmov 16(%ebp), %ecx\n"          /* n */
	"\tmov %esp, %ebx\n"              /* esp before the pushes */
	"1:\ttest %ecx, %ecx\n"
	"\tjz 2f\n"
	"\tpush -4(%esi,%ecx,4)\n"
	"\tdec %ecx\n"
	"\tjmp 1b\n"
	"2:\tcall *8(%ebp)\n"
	"\tmov %esp, %ecx\n"
	"\tsub %ebx, %ecx\n"              /* how far esp moved */
	"\tmov 20(%ebp), %edx\n"
	"\tmov %ecx, (%edx)\n"
	"\tmov %ebx, %esp\n"
	"\tpop %esi\n"
	"\tpop %ebx\n"
	"\tpop %ebp\n"
	"\tret\n"
	".size call_words, .-call_words\n");

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

/* x87 results carry more precision than their type until they are
 * stored, and an expression may keep one in st0 while the other was
 * spilled as its type: compare them stored. */
static bool same_float(float a, float b) { volatile float x = a, y = b; return x == y; }
static bool same_double(double a, double b) { volatile double x = a, y = b; return x == y; }

/* The entry of IMP that this build calls through. */
static void *entry_of(pf_import *imp)
{
	void *e = NULL;
	assert_int_equal(pf_import_entry(imp, ARGS_ENTRY, &e), 0);
	return e;
}

/* The entry of NAME, typed like FN. */
#define GATE(name, fn) ((__typeof__(&fn))entry_of(import_ok(name)))

static void integers_of_every_width(void **state)
{
	(void)state;
	assert_int_equal(GATE("args.i0", i0)(), i0());
	assert_int_equal(GATE("args.i3", i3)(3, 4, 5), i3(3, 4, 5));
	assert_int_equal(GATE("args.i6", i6)(11, 22, 33, 44, 55, 1 << 20),
			 i6(11, 22, 33, 44, 55, 1 << 20));
	assert_int_equal(GATE("args.narrow", narrow)(-3, -300, 70000, 200),
			 narrow(-3, -300, 70000, 200));
	assert_int_equal(pf_errno(), 0);
}

static void long_long_in_two_words_and_in_edx_eax(void **state)
{
	(void)state;
	long long a = -(1LL << 40) + 5, c = (1LL << 50) + 3;
	assert_true(GATE("args.ll", ll)(a, -7, c) == ll(a, -7, c));
	assert_true(GATE("args.ull_of", ull_of)(0xdeadbeefu) == ull_of(0xdeadbeefu));
}

static void float_double_long_double_in_st0(void **state)
{
	(void)state;
	assert_true(same_float(GATE("args.f2", f2)(1.0f, 3.0f), f2(1.0f, 3.0f)));
	assert_true(same_double(GATE("args.d3", d3)(1.25, -3, 1e10), d3(1.25, -3, 1e10)));
	long double want = ld(1.1L, 3.3L);
	long double got = GATE("args.ld", ld)(1.1L, 3.3L);
	assert_memory_equal(&got, &want, 10);   /* all 80 bits */
	assert_true(same_double(GATE("args.mix", mix)('x', 0.25, -9, 1.5f, -2, 1e3L),
				mix('x', 0.25, -9, 1.5f, -2, 1e3L)));
	/* The x87 stack stays balanced: a leaked entry would overflow it
	 * within eight calls. */
	for (int i = 0; i < 20; i++)
		assert_true(same_double(GATE("args.d3", d3)(i, 2, 0.5), d3(i, 2, 0.5)));
}

static void twelve_arguments_of_every_size(void **state)
{
	(void)state;
	long long got = GATE("args.many", many)(1, 1LL << 33, 2.5, 'a', 1.5f, 7.25L, -2, 8,
						9.5, -(1LL << 35), 11, 0.5f);
	assert_true(got == many(1, 1LL << 33, 2.5, 'a', 1.5f, 7.25L, -2, 8, 9.5,
				-(1LL << 35), 11, 0.5f));
}

static void structs_passed_by_value_on_the_stack(void **state)
{
	(void)state;
	struct pair p = { 10, 3 }, q = { -4, 6 };
	assert_int_equal(GATE("args.sum_pair", sum_pair)(p, 5, q), sum_pair(p, 5, q));
	struct dpair a = { 1.5, -2 }, b = { 4, 0.25 };
	assert_true(same_double(GATE("args.dot", dot)(a, b), dot(a, b)));
	struct big big;
	for (int i = 0; i < 16; i++)
		big.v[i] = i * i - 50;
	assert_int_equal(GATE("args.sum_big", sum_big)(7, big, -9), sum_big(7, big, -9));
}

static void structs_returned_through_the_hidden_pointer(void **state)
{
	(void)state;
	struct pair p = GATE("args.pair_of", pair_of)(10, 20), pw = pair_of(10, 20);
	assert_memory_equal(&p, &pw, sizeof p);
	struct dpair d = GATE("args.dpair_of", dpair_of)(3.0), dw = dpair_of(3.0);
	assert_memory_equal(&d, &dw, sizeof d);
	struct tiny t = GATE("args.tiny_of", tiny_of)('a'), tw = tiny_of('a');
	assert_int_equal(t.c, tw.c);
	struct big b = GATE("args.big_of", big_of)(7), bw = big_of(7);
	assert_memory_equal(&b, &bw, sizeof b);
	/* Many in a row: a caller left with esp off by the popped pointer
	 * would not survive them. */
	for (int i = 0; i < 50; i++) {
		struct pair r = GATE("args.pair_of", pair_of)(i, -i);
		assert_int_equal(r.a, i + 1);
		assert_int_equal(r.b, -2 * i);
	}
}

static void struct_result_caller_finds_the_hidden_pointer_popped(void **state)
{
	(void)state;
	struct pair direct, via;
	int args_direct[] = { (int)(uintptr_t)&direct, 4, 5 };
	int args_via[] = { (int)(uintptr_t)&via, 4, 5 };
	int moved_direct = 0, moved_via = 0;
	call_words((void *)pair_of, args_direct, 3, &moved_direct);
	call_words(entry_of(import_ok("args.pair_of")), args_via, 3, &moved_via);
	assert_int_equal(moved_direct, -8);   /* 12 pushed, 4 popped by the callee */
	assert_int_equal(moved_via, moved_direct);
	assert_memory_equal(&via, &direct, sizeof via);
}

static void complex_results(void **state)
{
	(void)state;
	float _Complex f = GATE("args.fc_of", fc_of)(1.5f, 3.0f), fw = fc_of(1.5f, 3.0f);
	assert_memory_equal(&f, &fw, sizeof f);   /* edx:eax */
	double _Complex d = GATE("args.dc_of", dc_of)(2.0, 5.0), dw = dc_of(2.0, 5.0);
	assert_memory_equal(&d, &dw, sizeof d);   /* memory */
}

static void variadic_callee(void **state)
{
	(void)state;
	int (*v)(int, ...) = GATE("args.vsum", vsum);
	assert_int_equal(v(0), 0);
	assert_int_equal(v(3, 'i', 5, 'd', 2.5, 'q', 123456789LL),
			 vsum(3, 'i', 5, 'd', 2.5, 'q', 123456789LL));
	assert_int_equal(v(4, 'd', 0.5, 'd', 1.5, 'i', -7, 'd', 9.25),
			 vsum(4, 'd', 0.5, 'd', 1.5, 'i', -7, 'd', 9.25));
}

static void stdcall_callee_pops_its_arguments(void **state)
{
	(void)state;
	assert_int_equal(GATE("args.std3", std3)(1, 2, 3), std3(1, 2, 3));
	int words[] = { 4, 5, 6 };
	int moved_direct = 0, moved_via = 0;
	int direct = call_words((void *)std3, words, 3, &moved_direct);
	int via = call_words(entry_of(import_ok("args.std3")), words, 3, &moved_via);
	assert_int_equal(direct, 456);
	assert_int_equal(via, direct);
	assert_int_equal(moved_direct, 0);   /* all 12 bytes popped by the callee */
	assert_int_equal(moved_via, moved_direct);
	struct pair p = GATE("args.std_pair", std_pair)(8, 9), pw = std_pair(8, 9);
	assert_memory_equal(&p, &pw, sizeof p);
}

static void fastcall_callee_takes_ecx_edx_and_pops_the_rest(void **state)
{
	(void)state;
	assert_int_equal(GATE("args.fast4", fast4)(1, 2, 3, 4), fast4(1, 2, 3, 4));
	for (int i = 0; i < 20; i++)
		assert_int_equal(GATE("args.fast4", fast4)(i, 2, 3, -i), fast4(i, 2, 3, -i));
}

static void regparm_callee_takes_eax_edx_ecx(void **state)
{
	(void)state;
	if (NUMBERED)
		skip();   /* eax carries the call number (entry/pages.h) */
	assert_int_equal(GATE("args.reg4", reg4)(1, 2, 3, 4), reg4(1, 2, 3, 4));
	assert_int_equal(GATE("args.reg4", reg4)(9, -8, 7, 6), reg4(9, -8, 7, 6));
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	if (pf_entry_enable(ARGS_ENTRY) == -EOPNOTSUPP)
		return 77;   /* the machine lacks this entry: a skip */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers_of_every_width),
		cmocka_unit_test(long_long_in_two_words_and_in_edx_eax),
		cmocka_unit_test(float_double_long_double_in_st0),
		cmocka_unit_test(twelve_arguments_of_every_size),
		cmocka_unit_test(structs_passed_by_value_on_the_stack),
		cmocka_unit_test(structs_returned_through_the_hidden_pointer),
		cmocka_unit_test(struct_result_caller_finds_the_hidden_pointer_popped),
		cmocka_unit_test(complex_results),
		cmocka_unit_test(variadic_callee),
		cmocka_unit_test(stdcall_callee_pops_its_arguments),
		cmocka_unit_test(fastcall_callee_takes_ecx_edx_and_pops_the_rest),
		cmocka_unit_test(regparm_callee_takes_eax_edx_ecx),
	};
	int failed = _cmocka_run_group_tests(ARGS_GROUP, tests,
					     sizeof tests / sizeof tests[0], setup, teardown);
	pf_thread_detach();
	return failed;
}
