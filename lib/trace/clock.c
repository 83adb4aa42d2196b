#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "trace/clock.h"

bool trace_clock_tsc;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static double ns_per_tick = 1.0;
/* A pair of readings taken together, for measuring the rate again later. */
static uint64_t base_tick, base_ns;

uint64_t trace_clock_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Both flags on every CPU: the TSC then ticks at one rate, in sleep
 * states too, and the kernel keeps the CPUs' counters in step. */
static bool tsc_is_invariant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	char line[4096];
	bool constant = false, nonstop = false;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		constant = strstr(line, " constant_tsc") != NULL;
		nonstop = strstr(line, " nonstop_tsc") != NULL;
		if (!constant || !nonstop)
			break;
	}
	fclose(f);
	return constant && nonstop;
}

/* A tick and a nanosecond reading as close together as we can take them:
 * the pair whose bracketing reads were nearest in time wins. */
static void read_pair(uint64_t *tick, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 5; i++) {
		uint64_t a = __builtin_ia32_rdtsc();
		uint64_t n = trace_clock_monotonic_ns();
		uint64_t b = __builtin_ia32_rdtsc();
		if (b - a < best) {
			best = b - a;
			*tick = a + (b - a) / 2;
			*ns = n;
		}
	}
}

static void init_once(void)
{
	if (!tsc_is_invariant())
		return;
	uint64_t t0, n0, t1, n1;
	read_pair(&t0, &n0);
	struct timespec nap = { 0, 2000000 };
	nanosleep(&nap, NULL);
	read_pair(&t1, &n1);
	if (t1 <= t0 || n1 <= n0)
		return;
	ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
	base_tick = t1;
	base_ns = n1;
	trace_clock_tsc = true;
}

void trace_clock_init(void)
{
	pthread_once(&once, init_once);
}

double trace_clock_ns_per_tick(void)
{
	return ns_per_tick;
}

double trace_clock_ns_per_tick_now(void)
{
	if (!trace_clock_tsc)
		return ns_per_tick;
	uint64_t t, n;
	read_pair(&t, &n);
	/* A second's span measures the rate a thousand times more exactly
	 * than the 2 ms at init; shorter spans keep the first figure. */
	if (n - base_ns < 1000000000u)
		return ns_per_tick;
	return (double)(n - base_ns) / (double)(t - base_tick);
}
