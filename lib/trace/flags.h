/* What is on: a trace being recorded, statistics being counted. One word,
 * read with a relaxed load on the call path (record.h); set by the API. */
#ifndef PF_TRACE_FLAGS_H
#define PF_TRACE_FLAGS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "trace/clock.h"

#define TRACE_EVENTS 1u   /* a trace is being recorded */
#define TRACE_STATS  2u   /* statistics are being counted */

extern _Atomic unsigned trace_flags;

static inline bool trace_on(void)
{
	return __builtin_expect(atomic_load_explicit(&trace_flags, memory_order_relaxed) != 0, 0);
}

/* A stamp to pass back to a hook at the end of a slice; 0 while off. */
static inline uint64_t trace_now(void)
{
	return trace_on() ? trace_clock() : 0;
}

#endif
