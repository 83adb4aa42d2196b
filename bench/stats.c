/*
 * stats.c — median, min and max of a case's samples, and ratios between
 * cases.
 *
 * The median, not the mean: a sample that met a timer interrupt or a
 * migration is an outlier of the machine, not of the code measured. Min and
 * max are printed beside it so that the spread stays visible.
 *
 * A ratio is the median, over rounds, of that round's ratio: the cases of
 * one round ran back to back, so a round's ratio compares figures taken
 * under the same conditions even when the machine changes between rounds
 * (as a shared VM does).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct bench_stats stats_of(const double *samples, unsigned n)
{
	struct bench_stats s = { 0, 0, 0 };
	double *v;

	if (n == 0)
		return s;
	v = malloc(n * sizeof(*v));
	if (!v)
		abort();
	memcpy(v, samples, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	s.min_ns = v[0];
	s.max_ns = v[n - 1];
	s.median_ns = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return s;
}

/* The case NAME if it ran, else NULL. */
static const struct bench_case *usable(const struct case_list *l,
				       const char *name)
{
	const struct bench_case *c = name ? case_find(l, name) : NULL;

	return c && !c->skipped && c->nsamples ? c : NULL;
}

double median_of(const struct case_list *l, const char *name)
{
	const struct bench_case *c = usable(l, name);

	return c ? c->stats.median_ns : NAN;
}

double paired_ratio(const struct case_list *l, const char *self_name,
		    const char *a_name, const char *b_name, bool speed)
{
	const struct bench_case *self = usable(l, self_name);
	const struct bench_case *a = usable(l, a_name);
	const struct bench_case *b = b_name ? usable(l, b_name) : NULL;
	unsigned n = 0, rounds;
	double *r, v;

	if (!self || !a || (b_name && !b))
		return NAN;
	rounds = self->nsamples < a->nsamples ? self->nsamples : a->nsamples;
	if (b && b->nsamples < rounds)
		rounds = b->nsamples;
	if (rounds == 0)
		return NAN;
	r = malloc(rounds * sizeof(*r));
	if (!r)
		abort();
	for (unsigned i = 0; i < rounds; i++) {
		double ref = a->samples[i] + (b ? b->samples[i] : 0);

		r[n++] = speed ? ref / self->samples[i] : self->samples[i] / ref;
	}
	v = stats_of(r, n).median_ns;
	free(r);
	return v;
}
