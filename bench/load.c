/*
 * load.c — `--load N`: N CPU-bound threads beside the benchmark.
 *
 * A user's machine is rarely idle. These threads do plain register
 * arithmetic (an xorshift generator: no memory traffic, no system calls, no
 * sleeping), are not pinned, run at the benchmark's own priority, and run
 * from before calibration to the end of the latency pass, so that every
 * case, its calibration and its percentiles see the same competition for
 * the CPUs. The scheduler shares the CPUs between them and the measured
 * threads (pinned or not) as it would with any other busy program.
 *
 * They block every signal, so that a signal meant for the process (^C, a
 * timer) is never handled on one of them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "bench.h"

struct load_thread {
	pthread_t thread;
	uint64_t seed;
	uint64_t rounds; /* written by the thread, read after the join */
};

static struct load_thread *threads;
static unsigned nthreads;
static bool stop;

static void *load_main(void *arg)
{
	struct load_thread *t = arg;
	uint64_t x = t->seed | 1, rounds = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (int i = 0; i < 4096; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		/* The result must look used, or the loop is dead code. */
		__asm__ volatile("" : "+r"(x));
		rounds++;
	}
	__atomic_store_n(&t->rounds, rounds, __ATOMIC_RELAXED);
	return NULL;
}

int load_start(unsigned n)
{
	sigset_t all, old;
	int err = 0;

	if (n == 0)
		return 0;
	threads = calloc(n, sizeof(*threads));
	if (!threads)
		return -ENOMEM;
	__atomic_store_n(&stop, false, __ATOMIC_RELAXED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the threads */
	for (nthreads = 0; nthreads < n; nthreads++) {
		threads[nthreads].seed = 0x9e3779b97f4a7c15u * (nthreads + 1);
		err = pthread_create(&threads[nthreads].thread, NULL, load_main,
				     &threads[nthreads]);
		if (err)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		load_stop();
		return -err;
	}
	return 0;
}

uint64_t load_stop(void)
{
	uint64_t rounds = 0;

	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(threads[i].thread, NULL);
		rounds += threads[i].rounds;
	}
	free(threads);
	threads = NULL;
	nthreads = 0;
	return rounds;
}
