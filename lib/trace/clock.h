/* The clock of traces and statistics: the TSC where it runs at a constant
 * rate on every CPU (Linux's constant_tsc and nonstop_tsc), else
 * CLOCK_MONOTONIC in nanoseconds. On the development VM one rdtsc costs
 * 45-60 ns and one clock_gettime 90-100 ns, and a traced call takes five
 * stamps; stamps are converted to nanoseconds only when they are written
 * out or counted. Reading it is async-signal-safe. */
#ifndef PF_TRACE_CLOCK_H
#define PF_TRACE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Set once by trace_clock_init, before anything is stamped. */
extern bool trace_clock_tsc;

uint64_t trace_clock_monotonic_ns(void);

/* Now, in clock ticks; never 0 (0 means "not stamped"). */
static inline uint64_t trace_clock(void)
{
	return trace_clock_tsc ? __builtin_ia32_rdtsc() | 1 : trace_clock_monotonic_ns();
}

/* Choose the clock and measure its rate (normal context; about 2 ms the
 * first time, nothing afterwards). */
void trace_clock_init(void);

/* Nanoseconds per tick, as measured at init (1 for the monotonic clock). */
double trace_clock_ns_per_tick(void);

/* The same, measured again from init to now when that span is long enough
 * to be more exact (a second or more), else the figure from init. */
double trace_clock_ns_per_tick_now(void);

#endif
