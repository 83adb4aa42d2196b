/*
 * peer.c — a long-lived helper thread that runs one batch per kick.
 *
 * Ping-pong cases need a second thread; throughput cases need a second
 * caller. Creating it per batch would put thread start-up into the timing
 * and, worse, change which CPU it lands on; so each case owns one peer for
 * the whole run, and the peer sleeps on a futex between batches (a spinning
 * idle peer would steal the CPU from every other case).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "bench.h"

struct peer {
	pthread_t thread;
	peer_fn fn;
	void *arg;
	int cpu;
	int (*init)(void *arg);
	void (*fini)(void *arg);
	int init_result;
	uint64_t iters;
	uint32_t kicks; /* futex word: bumped by peer_kick */
	uint32_t dones; /* futex word: set to kicks when the batch is done */
	bool quit;
};

static void peer_pin_self(int cpu)
{
	struct cpu_saved ignored;

	cpu_pin(cpu, &ignored); /* for good: the peer's old mask is not needed */
}

static void *peer_main(void *p_)
{
	struct peer *p = p_;
	uint32_t seen = 0;

	peer_pin_self(p->cpu);
	p->init_result = p->init ? p->init(p->arg) : 0;
	__atomic_store_n(&p->dones, 0, __ATOMIC_RELEASE);
	futex_wake(&p->dones, 1);
	if (p->init_result != 0)
		return NULL;
	for (;;) {
		uint32_t k;

		while ((k = __atomic_load_n(&p->kicks, __ATOMIC_ACQUIRE)) == seen)
			futex_wait(&p->kicks, seen);
		seen = k;
		if (__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE))
			break;
		p->fn(p->arg, p->iters);
		__atomic_store_n(&p->dones, k, __ATOMIC_RELEASE);
		futex_wake(&p->dones, 1);
	}
	if (p->fini)
		p->fini(p->arg);
	return NULL;
}

int peer_start(struct peer **out, peer_fn fn, void *arg, int cpu,
	       int (*init)(void *arg), void (*fini)(void *arg))
{
	struct peer *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->fn = fn;
	p->arg = arg;
	p->cpu = cpu;
	p->init = init;
	p->fini = fini;
	p->dones = UINT32_MAX; /* "init not finished" */
	if (pthread_create(&p->thread, NULL, peer_main, p) != 0) {
		free(p);
		return -1;
	}
	while (__atomic_load_n(&p->dones, __ATOMIC_ACQUIRE) ==
	       UINT32_MAX)
		futex_wait(&p->dones, UINT32_MAX);
	if (p->init_result != 0) {
		int r = p->init_result;

		pthread_join(p->thread, NULL);
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

void peer_kick(struct peer *p, uint64_t iters)
{
	p->iters = iters;
	__atomic_fetch_add(&p->kicks, 1, __ATOMIC_RELEASE);
	futex_wake(&p->kicks, 1);
}

void peer_wait(struct peer *p)
{
	uint32_t want = __atomic_load_n(&p->kicks, __ATOMIC_RELAXED);
	uint32_t d;

	while ((d = __atomic_load_n(&p->dones, __ATOMIC_ACQUIRE)) !=
	       want)
		futex_wait(&p->dones, d);
}

void peer_stop(struct peer *p)
{
	if (!p)
		return;
	__atomic_store_n(&p->quit, true, __ATOMIC_RELEASE);
	__atomic_fetch_add(&p->kicks, 1, __ATOMIC_RELEASE);
	futex_wake(&p->kicks, 1);
	pthread_join(p->thread, NULL);
	free(p);
}
