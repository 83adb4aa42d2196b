/* calls_impl.c - the server side of calls.pfidl. Every function folds all of
 * its arguments into its result, so a call that loses, moves or truncates
 * one argument gives a different result than a direct call. */
#include <string.h>

#include "calls_impl.h"
#include "calls_server.h"

int calls_runs;
const void *calls_seen[2];

static long fold(long h, long v)
{
	/* Unsigned: the hash wraps, which signed arithmetic may not do. */
	return (long)((unsigned long)h * 1000003u + (unsigned long)v);
}

/* Folds a floating value by its bits: equality then means every bit came
 * through. */
static long fold_d(long h, double v)
{
	long bits;

	memcpy(&bits, &v, sizeof(bits));
	return fold(h, bits);
}

static long fold_bytes(long h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = fold(h, p[i]);
	return h;
}

long calls_p0_impl(void)
{
	return 42;
}

long calls_p1_impl(int a)
{
	return fold(1, a);
}

double calls_p2_impl(double a, int b)
{
	return a * 3.5 - b;
}

long calls_p3_impl(int a, struct calls_pt b, double c)
{
	return fold_d(fold(fold(fold(3, a), b.x), b.y), c);
}

struct calls_vec calls_p4_impl(struct calls_vec a, int b, double c, long d)
{
	return (struct calls_vec){ a.x * b + c, a.y - (double)d };
}

long calls_p5_impl(int a, double b, struct calls_mixed c, const char *text,
		   size_t len)
{
	__atomic_add_fetch(&calls_runs, 1, __ATOMIC_RELAXED);
	calls_seen[0] = text;
	long h = fold_d(fold_d(fold(fold(5, a), c.id), b), c.w);
	return fold_bytes(h, (const uint8_t *)text, len);
}

long calls_p6_impl(int a, long b, short c, char d, unsigned e, long f)
{
	return fold(fold(fold(fold(fold(fold(6, a), b), c), d), e), f);
}

long calls_p7_impl(int a, int b, int c, int d, int e, int f, int g)
{
	return fold(fold(fold(fold(fold(fold(fold(7, a), b), c), d), e), f),
		    g);
}

double calls_p8_impl(double a, float b, double c, double d, double e,
		     double f, double g, double h)
{
	return ((((((a * 2 + b) * 2 + c) * 2 + d) * 2 + e) * 2 + f) * 2 + g) *
		       2 + h;
}

struct calls_mixed calls_p9_impl(double a, double b, double c, double d,
				 double e, double f, double g, double h,
				 double i)
{
	double v[] = { a, b, c, d, e, f, g, h, i };
	long id = 9;

	for (int k = 0; k < 9; k++)
		id = fold_d(id, v[k]);
	return (struct calls_mixed){ id, a - i };
}

struct calls_wide calls_p10_impl(struct calls_wide a, int b, double c,
				 struct calls_pt d, long e, long f, long g,
				 long h, struct calls_rec i,
				 struct calls_vec j)
{
	long x = fold(fold(fold(10, a.a), a.b), a.c);

	x = fold(fold_d(fold(x, b), c), fold(d.x, d.y));
	x = fold(fold(fold(fold(x, e), f), g), h);
	x = fold_d(fold(fold(x, i.tag), i.s), i.v);
	for (int k = 0; k < 3; k++)
		x = fold_d(x, i.f[k]);
	x = fold_d(fold_d(x, j.x), j.y);
	return (struct calls_wide){ x, x ^ 0x5555, (long)b - e };
}

long calls_p11_impl(long a, long b, long c, long d, long e, long f,
		    const uint8_t *src, size_t n, uint8_t *dst, size_t m,
		    int seed)
{
	long h = fold(fold(fold(fold(fold(fold(11, a), b), c), d), e), f);

	calls_seen[0] = src;
	calls_seen[1] = dst;
	for (size_t i = 0; i < m; i++)
		dst[i] = (uint8_t)(seed + 7 * i + (i < n ? src[i] : 0));
	return fold(fold(fold_bytes(h, src, n), (long)m), seed);
}

double calls_p12_impl(int a, double b, struct calls_pt c, struct calls_vec d,
		      struct calls_mixed e, struct calls_wide f, long g, long h,
		      float i, long double j, uint8_t *io, unsigned k)
{
	long x = fold(fold(fold_d(fold(12, a), b), c.x), c.y);

	calls_seen[0] = io;
	x = fold_d(fold_d(fold_d(fold(x, e.id), e.w), d.x), d.y);
	x = fold(fold(fold(fold(fold(x, f.a), f.b), f.c), g), h);
	x = fold_bytes(fold_d(x, i), io, k);
	/* All 10 bytes of the x87 value, so that both of its stack words
	 * must arrive intact. */
	x = fold_bytes(x, (const uint8_t *)&j, 10);
	for (unsigned t = 0; t < k; t++)
		io[t] = (uint8_t)(io[t] * 3 + t);
	return (double)(x % 1000000007) + b / 8;
}

long double calls_ld_impl(long double a, int b, long double c)
{
	return a * b - c / 3;
}
