/* edge_demo - calls every function of edge.h and prints what came back.
 * tests/pfwrap runs it linked directly against libpfwrap_edge.so and linked
 * with the pfwrap shim before it, and compares the output. */
#include <pthread.h>
#include <stdio.h>
#include "edge.h"

struct visit { long sum; int on_other_thread; pthread_t caller; };

static void visit(int i, void *arg)
{
	struct visit *v = arg;
	v->sum += (long)i * i;
	if (!pthread_equal(v->caller, pthread_self()))
		v->on_other_thread++;
}

int main(void)
{
	for (long k = 0; k < 3; k++)
		printf("sum8 %ld\n", edge_sum8(1 + k, 2, 3, 4, 5, 6, 7000 + k, 80000 + k));
	printf("sum8_twice %ld (sum8 counter %d)\n", edge_sum8_twice(5), edge_counter);
	printf("mix %.17g\n", edge_mix(1, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5,
					 10.5, 11.25f, 12, 13, 14, 15, 16, 17));
	printf("ldmul %.21Lg\n", edge_ldmul(3.0L / 7, 1e300L * 1e300L));
	struct edge_big b = { { 1, 2, 3, 4, 5 } };
	printf("big_sum %ld\n", edge_big_sum(b));
	struct edge_big m = edge_big_make(6);
	printf("big_make %ld %ld %ld %ld %ld\n", m.v[0], m.v[1], m.v[2], m.v[3], m.v[4]);
	struct edge_pair p = edge_pair_swap((struct edge_pair){ 2.75, 9 });
	printf("pair_swap %g %ld\n", p.x, p.y);
	double _Complex c = edge_cmul(1.0 + 2.0 * 1.0i, 3.0 - 1.0 * 1.0i);
	printf("cmul %g %g\n", __real__ c, __imag__ c);
	long double _Complex cl = edge_cld_conj(1.5L + 2.5L * 1.0i);
	printf("cld_conj %Lg %Lg\n", __real__ cl, __imag__ cl);
	__int128 w = edge_i128_mul((__int128)1 << 70, 3);
	printf("i128_mul %llx %016llx\n", (unsigned long long)(w >> 64),
	       (unsigned long long)w);
	struct visit v = { 0, 0, pthread_self() };
	edge_each(10, visit, &v);
	printf("each %ld\n", v.sum);
	edge_printf("printf %d %s %.1f\n", 7, "direct", 2.5);
	printf("old %d counter %d\n", edge_old(1), edge_counter);
	fprintf(stderr, "edge_demo: callback ran %d times on another thread\n",
		v.on_other_thread);
	return 0;
}
