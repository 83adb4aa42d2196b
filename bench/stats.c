/*
 * stats.c — median, min and max of a case's samples.
 *
 * The median, not the mean: a sample that met a timer interrupt or a
 * migration is an outlier of the machine, not of the code measured. Min and
 * max are printed beside it so that the spread stays visible.
 */
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
