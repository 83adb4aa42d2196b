/*
 * sys.h — the clock, CPU pinning, polite spinning and futexes (sys.c).
 * Internal to bench/.
 */
#ifndef PFBENCH_SYS_H
#define PFBENCH_SYS_H

#include <stdbool.h>
#include <stdint.h>

uint64_t now_ns(void);

/* CPUs: cpu_a for the measuring (main) thread, cpu_b for its peer; -1 when
 * the process may run on fewer than 2 CPUs (then nothing is pinned). */
void cpus_init(void);
int cpu_a(void);
int cpu_b(void);
unsigned cpus_allowed(void);

/* Pin the calling thread to CPU (or, for -1, leave it alone); the previous
 * mask is kept in *SAVED so that cpu_unpin can put it back. */
struct cpu_saved {
	bool valid;
	unsigned char mask[128]; /* a cpu_set_t, kept opaque here */
};
void cpu_pin(int cpu, struct cpu_saved *saved);
void cpu_unpin(const struct cpu_saved *saved);

/* Busy-wait politely: PAUSE on 2+ CPUs, sched_yield on one, where a spin
 * would only burn the peer's time slice. */
void spin_relax(void);

/* FUTEX_WAIT / FUTEX_WAKE (private), for 32-bit words. */
void futex_wait(uint32_t *word, uint32_t expected);
void futex_wake(uint32_t *word, int n);

#endif
