/*
 * hist.c — a log-linear histogram of per-operation times, for percentiles.
 *
 * Values below 2^HIST_SUB_BITS each have a bucket of their own; above, each
 * power of two [2^k, 2^(k+1)) is split into 2^HIST_SUB_BITS equal buckets.
 * With 32 sub-buckets a bucket is at most 1/32 of its lower bound wide, so a
 * percentile read at a bucket's middle is within 1/64 (1.6 %) of the value
 * that was recorded. Recording is a count-leading-zeros, a shift and an
 * increment: cheap enough to run once per measured operation, and the whole
 * histogram (10 KiB) is fixed in size whatever the number of samples.
 *
 * Values are whatever unit the caller records (pfbench records TSC cycles
 * and converts once, at the end).
 */
#include <math.h>
#include <string.h>

#include "hist.h"

/* The first HIST_SUB buckets are exact; each later block of HIST_SUB
 * buckets covers one power of two. */
#define HIST_SUB (1u << HIST_SUB_BITS)

unsigned hist_bucket_of(uint64_t v)
{
	unsigned k, block;

	if (v < HIST_SUB)
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v); /* 2^k <= v < 2^(k+1) */
	block = k - HIST_SUB_BITS + 1;
	if (block >= HIST_BLOCKS) /* beyond the top: the last bucket */
		return HIST_BUCKETS - 1;
	return block * HIST_SUB +
	       (unsigned)((v >> (k - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

uint64_t hist_bucket_low(unsigned b)
{
	unsigned block = b / HIST_SUB, sub = b % HIST_SUB;

	if (block == 0)
		return sub;
	return (uint64_t)(HIST_SUB + sub) << (block - 1);
}

uint64_t hist_bucket_width(unsigned b)
{
	unsigned block = b / HIST_SUB;

	return block == 0 ? 1 : UINT64_C(1) << (block - 1);
}

void hist_clear(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, uint64_t v)
{
	h->n[hist_bucket_of(v)]++;
	h->count++;
}

void hist_add_n(struct hist *h, unsigned bucket, uint64_t n)
{
	if (bucket >= HIST_BUCKETS)
		return;
	h->n[bucket] += n;
	h->count += n;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	if (!from->count)
		return;
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		into->n[b] += from->n[b];
	into->count += from->count;
}

/*
 * The value below which a fraction Q of the samples lie: the sample of rank
 * ceil(Q x count), read as the middle of its bucket (an exact bucket reads
 * as its value). A tail percentile from a handful of samples is one
 * outlier's value, not a property of the code: fewer than HIST_TAIL_MIN
 * samples at or beyond the percentile give NAN.
 */
double hist_percentile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0 || q <= 0 || q > 1)
		return NAN;
	if ((double)h->count * (1 - q) < HIST_TAIL_MIN && q > 0.5)
		return NAN;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += h->n[b];
		if (seen >= rank)
			return (double)hist_bucket_low(b) +
			       (double)(hist_bucket_width(b) - 1) / 2;
	}
	return NAN; /* counts do not add up to count: not reached */
}
