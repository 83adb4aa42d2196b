/* calls_test.c - a pfidl-generated interface called through pfipc gives
 * exactly what a direct call of the same implementation gives.
 *
 * Each test calls calls_FN(...) (the generated client call: a fault, a
 * message to the server process, the implementation on the server's thread)
 * and calls_FN_impl(...) directly with the same arguments, and compares the
 * results bit for bit, and the out buffers byte for byte. A buffer must reach
 * the server as a copy: the pointer the implementation sees through pfipc
 * is never the caller's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "calls_client.h"
#include "calls_server.h"
#include "calls_impl.h"

#ifndef CALLS_GROUP
#define CALLS_GROUP "pfidl calls"
#endif

static pf_process *server;

/* Calls FN through pfipc and directly with the same arguments; the first
 * must succeed and both must give the same bits. (Results of these types
 * have no padding, so memcmp compares values.) */
#define SAME_RESULT(type, fn, ...)                                         \
	do {                                                               \
		type via = calls_##fn(__VA_ARGS__);                         \
		int err = pf_errno();                                       \
		type direct = calls_##fn##_impl(__VA_ARGS__);               \
		assert_int_equal(err, 0);                                   \
		assert_memory_equal(&via, &direct, sizeof(type));           \
	} while (0)

static const struct calls_pt pt = { -17, 4242 };
static const struct calls_vec vec = { 0.125, -1e300 };
static const struct calls_mixed mixed = { -(1L << 40), 3.0 / 7 };
static const struct calls_wide wide = { 1, -(2L << 50), 0x7fffffffffffffffL };
static const struct calls_rec rec = { 'q', -2.75, -7, { 1.5f, -0.1f, 3e30f } };

static void p0_no_arguments(void **state)
{
	(void)state;
	SAME_RESULT(long, p0);
}

static void p1_one_int(void **state)
{
	(void)state;
	SAME_RESULT(long, p1, -123456);
}

static void p2_double_and_int(void **state)
{
	(void)state;
	SAME_RESULT(double, p2, 1.0 / 3, -9);
}

static void p3_struct_in_one_register(void **state)
{
	(void)state;
	SAME_RESULT(long, p3, 77, pt, -0.0);
}

static void p4_sse_struct_in_and_out(void **state)
{
	(void)state;
	SAME_RESULT(struct calls_vec, p4, vec, 3, 2.5, -99L);
}

static void p5_in_buffer(void **state)
{
	static const char text[] = "copied into the server";

	(void)state;
	calls_p5(5, 0.5, mixed, text, sizeof(text));
	assert_ptr_not_equal(calls_seen[0], text);
	SAME_RESULT(long, p5, 5, 0.5, mixed, text, sizeof(text));
}

static void p6_narrow_integers(void **state)
{
	(void)state;
	SAME_RESULT(long, p6, -1, 1L << 62, (short)-300, (char)'x', 4000000000u,
		    -5L);
}

static void p7_seventh_int_on_stack(void **state)
{
	(void)state;
	SAME_RESULT(long, p7, 1, -2, 3, -4, 5, -6, 7);
}

static void p8_eight_floating(void **state)
{
	(void)state;
	SAME_RESULT(double, p8, 1.5, 2.25f, -3.0, 4e-10, 5.0, 6.5, -7.0, 8.0);
}

static void p9_ninth_double_on_stack(void **state)
{
	(void)state;
	SAME_RESULT(struct calls_mixed, p9, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0,
		    8.0, -9.5);
}

static void p10_structs_in_memory_and_result_in_memory(void **state)
{
	(void)state;
	SAME_RESULT(struct calls_wide, p10, wide, -8, 1e-5, pt, 11L, 12L, 13L,
		    14L, rec, vec);
}

static void p11_buffers_on_stack(void **state)
{
	uint8_t src[100], via_dst[200], direct_dst[200];

	(void)state;
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 37);
	memset(via_dst, 0xee, sizeof(via_dst));
	memset(direct_dst, 0xee, sizeof(direct_dst));
	long via = calls_p11(1, 2, 3, 4, 5, 6, src, sizeof(src), via_dst, 150,
			     -3);
	int err = pf_errno();
	assert_ptr_not_equal(calls_seen[0], src);
	assert_ptr_not_equal(calls_seen[1], via_dst);
	long direct = calls_p11_impl(1, 2, 3, 4, 5, 6, src, sizeof(src),
				     direct_dst, 150, -3);
	assert_int_equal(err, 0);
	assert_int_equal(via, direct);
	/* Bytes past the length must stay untouched by the copy back. */
	assert_memory_equal(via_dst, direct_dst, sizeof(via_dst));
}

static void p12_twelve_mixed_arguments(void **state)
{
	uint8_t via_io[32], direct_io[32];
	const long double j = 1.0L / 3;

	(void)state;
	for (unsigned i = 0; i < sizeof(via_io); i++)
		via_io[i] = direct_io[i] = (uint8_t)(200 - i);
	double via = calls_p12(-12, 0.75, pt, vec, mixed, wide, 1L << 33, -1L,
			       0.3f, j, via_io, 20);
	int err = pf_errno();
	assert_ptr_not_equal(calls_seen[0], via_io);
	double direct = calls_p12_impl(-12, 0.75, pt, vec, mixed, wide,
				       1L << 33, -1L, 0.3f, j, direct_io, 20);
	assert_int_equal(err, 0);
	assert_memory_equal(&via, &direct, sizeof(via));
	assert_memory_equal(via_io, direct_io, sizeof(via_io));
}

static void ld_long_double_in_and_out(void **state)
{
	(void)state;
	long double via = calls_ld(1.0L / 7, -3, 1e-4000L);
	int err = pf_errno();
	long double direct = calls_ld_impl(1.0L / 7, -3, 1e-4000L);

	assert_int_equal(err, 0);
	/* Only the 10 value bytes; the rest of the 16 is padding. */
	assert_memory_equal(&via, &direct, 10);
}

static void longer_than_max_fails_with_emsgsize_without_running(void **state)
{
	char text[65] = { 0 };
	int runs = __atomic_load_n(&calls_runs, __ATOMIC_RELAXED);

	(void)state;
	long r = calls_p5(1, 1.0, mixed, text, sizeof(text));
	assert_int_equal(pf_errno(), -EMSGSIZE);
	assert_int_equal(r, 0);
	assert_int_equal(__atomic_load_n(&calls_runs, __ATOMIC_RELAXED), runs);

	/* The limit itself is fine, and the error does not stick. */
	calls_p5(1, 1.0, mixed, text, 64);
	assert_int_equal(pf_errno(), 0);
}

static void out_buffer_longer_than_max_fails_on_stack_length(void **state)
{
	uint8_t src[1] = { 1 }, dst[300];

	(void)state;
	calls_p11(0, 0, 0, 0, 0, 0, src, 1, dst, 257, 0);
	assert_int_equal(pf_errno(), -EMSGSIZE);
}

static int setup(void **state)
{
	(void)state;
	if (pf_process_join_self(NULL, "calls-client") < 0)
		return -1;
	if (pf_process_create(&server, "calls-server", NULL, calls_server_init,
			      NULL) < 0)
		return -1;
	return calls_client_init() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	pf_process_stop(server);
	pf_process_join(server);
	pf_thread_detach();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p0_no_arguments),
		cmocka_unit_test(p1_one_int),
		cmocka_unit_test(p2_double_and_int),
		cmocka_unit_test(p3_struct_in_one_register),
		cmocka_unit_test(p4_sse_struct_in_and_out),
		cmocka_unit_test(p5_in_buffer),
		cmocka_unit_test(p6_narrow_integers),
		cmocka_unit_test(p7_seventh_int_on_stack),
		cmocka_unit_test(p8_eight_floating),
		cmocka_unit_test(p9_ninth_double_on_stack),
		cmocka_unit_test(p10_structs_in_memory_and_result_in_memory),
		cmocka_unit_test(p11_buffers_on_stack),
		cmocka_unit_test(p12_twelve_mixed_arguments),
		cmocka_unit_test(ld_long_double_in_and_out),
		cmocka_unit_test(longer_than_max_fails_with_emsgsize_without_running),
		cmocka_unit_test(out_buffer_longer_than_max_fails_on_stack_length),
	};

	return cmocka_run_group_tests_name(CALLS_GROUP, tests, setup, teardown);
}
