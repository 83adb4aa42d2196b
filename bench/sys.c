/*
 * sys.c — the few system services every case leans on: a clock, CPU
 * pinning and futex wait/wake.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

_Static_assert(sizeof(cpu_set_t) <= sizeof(((struct cpu_saved *)0)->mask),
	       "struct cpu_saved too small for a cpu_set_t");

/* CLOCK_MONOTONIC goes through the vDSO (no syscall, ~20 ns), and every
 * batch is at least milliseconds long, so its cost does not show. */
uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cpu_first = -1, cpu_second = -1;
static unsigned cpu_count = 1;

/* The first two CPUs the process may run on (taskset and cgroups may have
 * narrowed the set), not simply 0 and 1. */
void cpus_init(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	cpu_count = (unsigned)CPU_COUNT(&set);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (cpu_first < 0) {
			cpu_first = c;
		} else {
			cpu_second = c;
			break;
		}
	}
	if (cpu_second < 0)
		cpu_first = -1; /* one CPU: pinning would change nothing */
}

int cpu_a(void) { return cpu_first; }
int cpu_b(void) { return cpu_second; }
unsigned cpus_allowed(void) { return cpu_count; }

void cpu_pin(int cpu, struct cpu_saved *saved)
{
	cpu_set_t set, old;

	saved->valid = false;
	if (cpu < 0)
		return;
	if (pthread_getaffinity_np(pthread_self(), sizeof(old), &old) != 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		return;
	memcpy(saved->mask, &old, sizeof(old));
	saved->valid = true;
}

void cpu_unpin(const struct cpu_saved *saved)
{
	cpu_set_t old;

	if (!saved->valid)
		return;
	memcpy(&old, saved->mask, sizeof(old));
	pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
}

void spin_relax(void)
{
	if (cpu_count >= 2)
		__builtin_ia32_pause();
	else
		sched_yield();
}

void futex_wait(uint32_t *word, uint32_t expected)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void futex_wake(uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}
