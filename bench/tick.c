/*
 * tick.c — per-operation times for percentiles, taken from the TSC.
 *
 * Every case's measuring loop calls bench_tick() once per operation. During
 * the rounds that is a load of bench_tick_gen and a branch not taken, so the
 * medians are untouched but for that. During the latency pass (pfbench.c)
 * the generation is non-zero and each tick reads the TSC and records the
 * time since the same thread's previous tick in that thread's histogram: one
 * operation plus the tick itself. A thread's first tick of a pass only
 * starts its clock, so a pass records one sample fewer than it has
 * operations per thread.
 *
 * Each thread records into its own histogram (no sharing, no atomics on the
 * recording path); at the end of a pass they are merged. For a case with
 * two callers the samples of both are pooled: a percentile is then over
 * calls, each timed by the caller that made it.
 *
 * Cycles are converted to nanoseconds once, by the TSC rate measured
 * against CLOCK_MONOTONIC over the whole run (tick_init to tick_rate_fix).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cpuid.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "hist.h"
#include "sys.h"
#include "tick.h"

uint32_t bench_tick_gen;

static bool have_rdtscp, tsc_invariant;

/*
 * RDTSCP waits until every earlier instruction has executed, so a tick
 * closes the interval after the operation really ended; later instructions
 * may start before it, which only moves a few cycles from one interval to
 * the next. Without RDTSCP, LFENCE gives the same ordering.
 */
uint64_t tsc_now(void)
{
	unsigned aux;

	if (have_rdtscp)
		return __rdtscp(&aux);
	_mm_lfence();
	return __rdtsc();
}

/* ---------------------------------------------------- the TSC's rate */

static uint64_t start_tsc, start_ns;
static double ns_per_cycle = NAN;

/* A TSC reading and the CLOCK_MONOTONIC time at the same moment: the TSC is
 * read between two clock reads and paired with their middle. */
static void clock_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t a = now_ns();

	*tsc = tsc_now();
	*ns = a + (now_ns() - a) / 2;
}

void tick_init(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		have_rdtscp = d & (1u << 27);
	/* CPUID 0x80000007 EDX bit 8: the TSC runs at one rate in every
	 * P- and C-state ("nonstop_tsc" in /proc/cpuinfo). */
	if (__get_cpuid(0x80000007, &a, &b, &c, &d))
		tsc_invariant = d & (1u << 8);
	clock_pair(&start_tsc, &start_ns);
}

bool tick_tsc_invariant(void)
{
	return tsc_invariant;
}

/* The TSC's rate from tick_init until now, or NAN. */
static double rate_so_far(void)
{
	uint64_t tsc, ns;

	clock_pair(&tsc, &ns);
	if (tsc > start_tsc && ns > start_ns)
		return (double)(ns - start_ns) / (double)(tsc - start_tsc);
	return NAN;
}

void tick_rate_fix(void)
{
	ns_per_cycle = rate_so_far();
}

double tick_ns_per_cycle(void)
{
	return ns_per_cycle;
}

/* ------------------------------------------------- per-thread logs */

struct tick_log {
	struct hist h;
	struct tick_log *next;
};

struct tick_thread {
	uint32_t gen;  /* the pass LAST belongs to */
	uint64_t last; /* TSC at this thread's previous tick */
	struct tick_log *log;
};

static __thread struct tick_thread self;
static struct tick_log *logs; /* every thread's, newest first */
static pthread_mutex_t logs_lock = PTHREAD_MUTEX_INITIALIZER;

/* A log for the calling thread, zeroed, on the list the pass end merges.
 * Allocated at a thread's first tick of its first pass, which records
 * nothing anyway; a log outlives its thread (its counts still merge). */
static struct tick_log *own_log(void)
{
	if (!self.log) {
		struct tick_log *l = calloc(1, sizeof(*l));

		if (!l)
			abort();
		pthread_mutex_lock(&logs_lock);
		l->next = logs;
		logs = l;
		pthread_mutex_unlock(&logs_lock);
		self.log = l;
	}
	return self.log;
}

void bench_tick_slow(void)
{
	uint64_t now = tsc_now();
	uint32_t gen = __atomic_load_n(&bench_tick_gen, __ATOMIC_RELAXED);

	if (self.gen != gen) { /* this thread's first tick of the pass */
		own_log();
		self.gen = gen;
		self.last = tsc_now();
		return;
	}
	hist_add(&self.log->h, now - self.last);
	self.last = now;
}

static uint32_t last_gen;

/* Every log is cleared before the generation changes: threads of the case
 * about to run are all idle between batches, so nothing records meanwhile. */
void tick_pass_begin(void)
{
	pthread_mutex_lock(&logs_lock);
	for (struct tick_log *l = logs; l; l = l->next)
		hist_clear(&l->h);
	pthread_mutex_unlock(&logs_lock);
	if (++last_gen == 0)
		last_gen = 1;
	__atomic_store_n(&bench_tick_gen, last_gen, __ATOMIC_RELEASE);
}

/* The case's batch has returned, and with it every thread that ticked in it
 * (a peer is waited for inside the batch): the logs are quiet. */
void tick_pass_end(struct hist *out)
{
	__atomic_store_n(&bench_tick_gen, 0, __ATOMIC_RELEASE);
	pthread_mutex_lock(&logs_lock);
	for (struct tick_log *l = logs; l; l = l->next)
		hist_merge(out, &l->h);
	pthread_mutex_unlock(&logs_lock);
}

bool tick_pass_active(void)
{
	return __atomic_load_n(&bench_tick_gen, __ATOMIC_RELAXED) != 0;
}

void tick_add_counts(unsigned bucket, uint64_t n)
{
	hist_add_n(&own_log()->h, bucket, n);
}

/* ------------------------------------------------- what a tick costs */

/* Separate functions, so that the compiler cannot merge the loops. The
 * empty asm keeps each iteration. */
__attribute__((noinline)) static void ticks(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		bench_tick();
		__asm__ volatile("" ::: "memory");
	}
}

__attribute__((noinline)) static void no_ticks(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("" ::: "memory");
}

void tick_cost(uint64_t n, double *armed_ns, double *idle_ns)
{
	static struct hist scratch;
	uint64_t t1, t2, t3;

	/* Armed: the p50 of back-to-back ticks, as a percentile sees it (a
	 * mean would count every preemption under --load). The rate is the
	 * one known so far; the run's final rate differs by far less than a
	 * bucket. */
	hist_clear(&scratch);
	tick_pass_begin();
	ticks(n);
	tick_pass_end(&scratch);
	*armed_ns = hist_percentile(&scratch, 0.5) * rate_so_far();

	/* Disarmed, against the same loop without the tick: what every
	 * operation of the rounds carries. Ten times the iterations, as it is
	 * a fraction of a nanosecond. */
	t1 = now_ns();
	ticks(10 * n);
	t2 = now_ns();
	no_ticks(10 * n);
	t3 = now_ns();
	*idle_ns = ((double)(t2 - t1) - (double)(t3 - t2)) / (double)(10 * n);
}
