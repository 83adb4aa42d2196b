/*
 * tick.h — per-operation TSC ticks and the latency pass's log (tick.c).
 * Internal to bench/.
 */
#ifndef PFBENCH_TICK_H
#define PFBENCH_TICK_H

#include <stdbool.h>
#include <stdint.h>
#include "hist.h"

/*
 * Call bench_tick() once per operation in every measuring loop (in every
 * thread that makes operations). Outside the latency pass it is a load and
 * a branch; during it, the time since the thread's previous tick goes into
 * that thread's histogram (tick.c).
 */
extern uint32_t bench_tick_gen; /* 0: not recording */
void bench_tick_slow(void);

static inline void bench_tick(void)
{
	if (__builtin_expect(__atomic_load_n(&bench_tick_gen,
					     __ATOMIC_RELAXED) != 0, 0))
		bench_tick_slow();
}

uint64_t tsc_now(void);
/* At start-up: pick the TSC instruction, note the TSC and the clock. */
void tick_init(void);
bool tick_tsc_invariant(void);
/* Once, when the last tick is taken: the TSC rate against CLOCK_MONOTONIC
 * since tick_init. tick_ns_per_cycle is NAN before. */
void tick_rate_fix(void);
double tick_ns_per_cycle(void);
/* Start recording (every thread starts afresh), and stop, adding what every
 * thread recorded to OUT. Only while no thread of a case is running. */
void tick_pass_begin(void);
void tick_pass_end(struct hist *out);
bool tick_pass_active(void);
/* Add N samples in BUCKET to the calling thread's log (a child's counts). */
void tick_add_counts(unsigned bucket, uint64_t n);
/* What a tick costs, in ns: armed, the p50 of N back-to-back ticks (what
 * every percentile sample carries); idle, the difference per operation of
 * two timed loops of 10 N, with and without a tick (what every operation
 * of the rounds carries). */
void tick_cost(uint64_t n, double *armed_ns, double *idle_ns);

#endif
