/* edge.h - a small library whose functions take their arguments every way
 * System V can pass them, and some that pfwrap must refuse. */
#ifndef EDGE_H
#define EDGE_H

struct edge_big { long v[5]; };            /* 40 bytes: passed in memory */
struct edge_pair { double x; long y; };     /* 16 bytes: xmm0 and rax */
typedef void (*edge_visit_fn)(int i, void *arg);

/* Eight integers: two on the stack (16 bytes). */
long edge_sum8(long a, long b, long c, long d, long e, long f, long g, long h);
/* Ten doubles, a float and seven integers: the ninth and tenth double, the
 * float and the seventh integer on the stack (32 bytes). */
double edge_mix(int n, double a, double b, double c, double d, double e,
		double f, double g, double h, double i, double i2, float j,
		long k, long l, long m, long n2, long o, long p);
/* long doubles go on the stack (16 bytes each); the result comes in st0. */
long double edge_ldmul(long double a, long double b);
/* A struct larger than 16 bytes, by value: 40 bytes of stack. */
long edge_big_sum(struct edge_big b);
/* ... and returned: through a hidden pointer in rdi. */
struct edge_big edge_big_make(long seed);
/* A 16-byte struct in registers, both ways. */
struct edge_pair edge_pair_swap(struct edge_pair p);
/* Complex values: in xmm registers; the long double one on the stack and
 * back in st0 and st1. */
double _Complex edge_cmul(double _Complex a, double _Complex b);
long double _Complex edge_cld_conj(long double _Complex a);
/* __int128: two registers each way. */
__int128 edge_i128_mul(__int128 a, long b);
/* Calls FN(i, ARG) for i in 0..N-1: a callback into the program. */
void edge_each(int n, edge_visit_fn fn, void *arg);
/* Calls edge_sum8, the library's own exported function. */
long edge_sum8_twice(long x);

/* Refused by pfwrap: */
int edge_printf(const char *fmt, ...);      /* variadic */
extern int edge_counter;                    /* data */
int edge_old();                             /* no prototype */

#endif
