/*
 * hist.h — the log-linear histogram of per-operation times (hist.c).
 * Internal to bench/.
 */
#ifndef PFBENCH_HIST_H
#define PFBENCH_HIST_H

#include <stdint.h>

/* Log-linear: values below 2^HIST_SUB_BITS exact, then every power of two
 * split into 2^HIST_SUB_BITS buckets, HIST_BLOCKS blocks in all (values of
 * 2^44 and more share the top bucket). hist.c says why. */
#define HIST_SUB_BITS 5
#define HIST_BLOCKS 40
#define HIST_BUCKETS (HIST_BLOCKS << HIST_SUB_BITS)
/* A tail percentile needs at least this many samples at or beyond it. */
#define HIST_TAIL_MIN 5

struct hist {
	uint64_t count;
	uint64_t n[HIST_BUCKETS];
};

void hist_clear(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_add_n(struct hist *h, unsigned bucket, uint64_t n);
void hist_merge(struct hist *into, const struct hist *from);
unsigned hist_bucket_of(uint64_t v);
uint64_t hist_bucket_low(unsigned bucket);
uint64_t hist_bucket_width(unsigned bucket);
/* The Q-quantile (0 < Q <= 1) in the recorded unit, or NAN: no samples, or
 * for Q > 0.5 fewer than HIST_TAIL_MIN samples at or beyond it. */
double hist_percentile(const struct hist *h, double q);

#endif
