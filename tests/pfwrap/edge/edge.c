/* edge.c - the library behind edge.h (built as libpfwrap_edge.so). */
#include <stdarg.h>
#include <stdio.h>
#include "edge.h"

int edge_counter = 42;

long edge_sum8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	edge_counter++;
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

double edge_mix(int n, double a, double b, double c, double d, double e,
		double f, double g, double h, double i, double i2, float j,
		long k, long l, long m, long n2, long o, long p)
{
	return n + a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h +
	       9 * i + 10 * i2 + 11 * j + 12 * k + 13 * l + 14 * m + 15 * n2 +
	       16 * o + 17 * p;
}

long double edge_ldmul(long double a, long double b)
{
	return a * b + 0.25L;
}

long edge_big_sum(struct edge_big b)
{
	return b.v[0] + 10 * b.v[1] + 100 * b.v[2] + 1000 * b.v[3] + 10000 * b.v[4];
}

struct edge_big edge_big_make(long seed)
{
	struct edge_big b = { { seed, seed * 3, seed * 5, seed * 7, seed * 11 } };
	return b;
}

struct edge_pair edge_pair_swap(struct edge_pair p)
{
	struct edge_pair q = { (double)p.y / 4, (long)(p.x * 4) };
	return q;
}

double _Complex edge_cmul(double _Complex a, double _Complex b)
{
	return a * b;
}

long double _Complex edge_cld_conj(long double _Complex a)
{
	return ~a * 2;
}

__int128 edge_i128_mul(__int128 a, long b)
{
	return a * b + 1;
}

void edge_each(int n, edge_visit_fn fn, void *arg)
{
	for (int i = 0; i < n; i++)
		fn(i, arg);
}

long edge_sum8_twice(long x)
{
	return edge_sum8(x, x, x, x, x, x, x, x) + edge_sum8(1, 2, 3, 4, 5, 6, 7, x);
}

int edge_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int edge_old(a)
	int a;
{
	return a + 1;
}

/* Exported, but declared in no header. */
int edge_hidden_helper(int x)
{
	return x * 2;
}
