/* pfbench's percentile machinery: the histogram's buckets and percentiles,
 * the per-thread ticks of the latency pass, the TSC's conversion to ns, and
 * the load threads. Linked with the pfbench files it tests, not with
 * pfipc. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "bench.h"
#include "../tests/sanitizers.h"

/* ------------------------------------------------------------ histogram */

static void values_below_32_have_exact_buckets(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 32; v++) {
		unsigned b = hist_bucket_of(v);

		assert_int_equal(hist_bucket_low(b), v);
		assert_int_equal(hist_bucket_width(b), 1);
	}
}

/* Every value lands in a bucket that holds it, no wider than 1/32 of its
 * lower bound, and buckets follow each other without gap or overlap. */
static void every_value_lands_in_a_bucket_that_holds_it(void **state)
{
	uint64_t x = 88172645463325252u;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t v, low, width;
		unsigned b;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = x >> (x % 43 + 21); /* spread over many powers of two */
		b = hist_bucket_of(v);
		low = hist_bucket_low(b);
		width = hist_bucket_width(b);
		assert_true(low <= v);
		assert_true(v < low + width);
		assert_true(width == 1 || width * 32 <= low);
	}
	for (unsigned b = 0; b + 1 < HIST_BUCKETS; b++)
		assert_int_equal(hist_bucket_low(b) + hist_bucket_width(b),
				 hist_bucket_low(b + 1));
}

static void values_beyond_the_top_share_the_last_bucket(void **state)
{
	(void)state;
	assert_int_equal(hist_bucket_of(UINT64_MAX), HIST_BUCKETS - 1);
	assert_int_equal(hist_bucket_of(UINT64_C(1) << 50), HIST_BUCKETS - 1);
	assert_true(hist_bucket_of((UINT64_C(1) << 44) - 1) < HIST_BUCKETS);
}

static void percentiles_of_1_to_100000_within_2_percent(void **state)
{
	static struct hist h;

	(void)state;
	hist_clear(&h);
	for (uint64_t v = 1; v <= 100000; v++)
		hist_add(&h, v);
	assert_int_equal(h.count, 100000);
	assert_true(fabs(hist_percentile(&h, 0.50) - 50000) <= 1000);
	assert_true(fabs(hist_percentile(&h, 0.99) - 99000) <= 1980);
	assert_true(fabs(hist_percentile(&h, 0.999) - 99900) <= 1998);
	/* The maximum is one sample: a tail too thin to report. */
	assert_true(isnan(hist_percentile(&h, 1.0)));
}

/* One slow operation in a hundred: the p99 must find it, the p50 not. */
static void p99_sees_the_slow_one_percent(void **state)
{
	static struct hist h;

	(void)state;
	hist_clear(&h);
	for (int i = 0; i < 9890; i++)
		hist_add(&h, 3000);
	for (int i = 0; i < 110; i++)
		hist_add(&h, 70000);
	assert_true(fabs(hist_percentile(&h, 0.50) - 3000) <= 60);
	assert_true(fabs(hist_percentile(&h, 0.99) - 70000) <= 1400);
}

static void a_tail_from_too_few_samples_is_nan(void **state)
{
	static struct hist h;

	(void)state;
	hist_clear(&h);
	assert_true(isnan(hist_percentile(&h, 0.5)));
	for (int i = 0; i < 1000; i++)
		hist_add(&h, 10);
	assert_false(isnan(hist_percentile(&h, 0.99)));  /* 10 beyond */
	assert_true(isnan(hist_percentile(&h, 0.999)));  /* 1 beyond */
	assert_false(isnan(hist_percentile(&h, 0.5)));
}

static void merge_adds_counts_bucket_by_bucket(void **state)
{
	static struct hist a, b;

	(void)state;
	hist_clear(&a);
	hist_clear(&b);
	for (int i = 0; i < 600; i++)
		hist_add(&a, 100);
	for (int i = 0; i < 400; i++)
		hist_add(&b, 5000);
	hist_add_n(&b, hist_bucket_of(100), 1);
	hist_merge(&a, &b);
	assert_int_equal(a.count, 1001);
	assert_int_equal(a.n[hist_bucket_of(100)], 601);
	assert_int_equal(a.n[hist_bucket_of(5000)], 400);
	assert_true(fabs(hist_percentile(&a, 0.5) - 100) <= 2);
	assert_true(fabs(hist_percentile(&a, 0.9) - 5000) <= 100);
}

/* ---------------------------------------------------------------- ticks */

static void ticks_outside_a_pass_record_nothing(void **state)
{
	static struct hist h;

	(void)state;
	/* Before any pass (this test runs first of the tick tests). */
	for (int i = 0; i < 1000; i++)
		bench_tick();
	tick_pass_end(&h); /* merges whatever was recorded */
	assert_int_equal(h.count, 0);
	/* After a pass has ended. */
	tick_pass_begin();
	tick_pass_end(&h);
	for (int i = 0; i < 1000; i++)
		bench_tick();
	tick_pass_end(&h);
	assert_int_equal(h.count, 0);
}

/* N ticks make N - 1 intervals: the first only starts the clock. */
static void a_pass_records_one_interval_per_tick_after_the_first(void **state)
{
	static struct hist h;

	(void)state;
	hist_clear(&h);
	tick_pass_begin();
	for (int i = 0; i < 1001; i++)
		bench_tick();
	tick_pass_end(&h);
	assert_int_equal(h.count, 1000);
	/* A second pass starts afresh: the first one's counts are gone. */
	hist_clear(&h);
	tick_pass_begin();
	for (int i = 0; i < 11; i++)
		bench_tick();
	tick_pass_end(&h);
	assert_int_equal(h.count, 10);
}

static void *tick_500(void *arg)
{
	(void)arg;
	for (int i = 0; i < 501; i++)
		bench_tick();
	return NULL;
}

static void two_threads_tick_into_their_own_logs_and_merge(void **state)
{
	static struct hist h;
	pthread_t t;

	(void)state;
	hist_clear(&h);
	tick_pass_begin();
	assert_int_equal(pthread_create(&t, NULL, tick_500, NULL), 0);
	tick_500(NULL);
	pthread_join(t, NULL);
	tick_pass_end(&h);
	assert_int_equal(h.count, 1000);
}

static uint64_t spin_until(uint64_t ns)
{
	uint64_t t;

	while ((t = now_ns()) < ns)
		;
	return t;
}

/* A tick interval that spans 200 us of CLOCK_MONOTONIC reads as 200 us
 * once converted with the run's TSC rate. */
static void ticks_converted_to_ns_agree_with_the_clock(void **state)
{
	static struct hist h;
	double k, p50;

	(void)state;
	hist_clear(&h);
	spin_until(now_ns() + 20000000); /* 20 ms for the rate */
	tick_pass_begin();
	for (int i = 0; i < 41; i++) {
		bench_tick();
		spin_until(now_ns() + 200000);
	}
	tick_pass_end(&h);
	tick_rate_fix();
	k = tick_ns_per_cycle();
	assert_false(isnan(k));
	p50 = hist_percentile(&h, 0.5) * k;
	/* Preemption only lengthens an interval; the median is robust. */
	assert_true(p50 >= 200000 * 0.97);
	assert_true(p50 <= 200000 * 1.10);
}

/* Armed, a tick is a TSC read and a histogram update: tens of ns, not
 * nothing and not microseconds. Runs after the rate test, so the TSC's
 * rate since start-up is known. */
static void a_tick_costs_tens_of_ns_armed(void **state)
{
	double armed, idle;

	(void)state;
	tick_cost(20000, &armed, &idle);
	assert_false(isnan(armed));
#ifdef PF_TEST_THREAD_SANITIZER
	print_message("skipped: no bar on time under ThreadSanitizer\n");
	skip();
#endif
	assert_true(armed > 1);
	assert_true(armed < 2000);
	assert_true(idle < 5);
}

/* ----------------------------------------------------------------- load */

static void load_threads_run_until_stopped(void **state)
{
	struct timespec ms20 = { 0, 20000000 };

	(void)state;
	assert_int_equal(load_start(2), 0);
	nanosleep(&ms20, NULL);
	assert_true(load_stop() > 0); /* they did work, and were joined */
	assert_int_equal(load_stop(), 0); /* none left */
	assert_int_equal(load_start(0), 0);
	assert_int_equal(load_stop(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_below_32_have_exact_buckets),
		cmocka_unit_test(every_value_lands_in_a_bucket_that_holds_it),
		cmocka_unit_test(values_beyond_the_top_share_the_last_bucket),
		cmocka_unit_test(percentiles_of_1_to_100000_within_2_percent),
		cmocka_unit_test(p99_sees_the_slow_one_percent),
		cmocka_unit_test(a_tail_from_too_few_samples_is_nan),
		cmocka_unit_test(merge_adds_counts_bucket_by_bucket),
		cmocka_unit_test(ticks_outside_a_pass_record_nothing),
		cmocka_unit_test(a_pass_records_one_interval_per_tick_after_the_first),
		cmocka_unit_test(two_threads_tick_into_their_own_logs_and_merge),
		cmocka_unit_test(ticks_converted_to_ns_agree_with_the_clock),
		cmocka_unit_test(a_tick_costs_tens_of_ns_armed),
		cmocka_unit_test(load_threads_run_until_stopped),
	};

	tick_init();
	return cmocka_run_group_tests_name("pfbench latency", tests, NULL,
					   NULL);
}
