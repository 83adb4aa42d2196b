/*
 * bench.h — what the files of pfbench share. Internal to bench/.
 *
 * A benchmark is a list of cases. The runner (pfbench.c) calibrates each
 * case to a batch length, then runs every case once per round, round-robin,
 * for R rounds, so that whatever the machine does meanwhile (frequency,
 * other load) lands on all cases alike. One batch gives one sample: its
 * nanoseconds per operation. stats.c reduces the samples, report.c prints
 * them.
 */
#ifndef PFBENCH_H
#define PFBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- cases */

struct bench_stats {
	double median_ns; /* per operation */
	double min_ns;
	double max_ns;
};

struct bench_case {
	const char *name;  /* id for JSON, --only and --case: "pf_gate" */
	const char *group; /* "floor", "alternative", "pfipc", "throughput" */
	const char *label; /* one line for the table */
	bool throughput;   /* also report calls per second */
	void *ctx;

	/* Once, before calibration. Return 0, or non-zero and set *why to
	 * skip the case (the rest of the run goes on). May be NULL. */
	int (*setup)(void *ctx, const char **why);
	/* Untimed, around every batch: pinning, swapping signal handlers.
	 * May be NULL. */
	void (*begin)(void *ctx);
	void (*end)(void *ctx);
	/* Do ITERS operations (per caller) and return the elapsed
	 * nanoseconds; set *OPS to the operations done in total (ITERS, or
	 * ITERS x callers). Timing is the case's own job so that a case can
	 * keep thread wake-ups or a child process's start-up out of it. */
	uint64_t (*run)(void *ctx, uint64_t iters, uint64_t *ops);

	/* Filled in by the runner. */
	bool skipped;
	const char *why;
	uint64_t iters;
	double *samples; /* ns per operation, one per round */
	unsigned nsamples;
	struct bench_stats stats;
};

struct case_list {
	struct bench_case *v;
	unsigned n, cap;
};

/* Append a copy of C; returns the stored case (its ctx is C's). */
struct bench_case *case_add(struct case_list *l, const struct bench_case *c);
struct bench_case *case_find(const struct case_list *l, const char *name);

/* Each file adds its own cases. */
void floors_register(struct case_list *l);
void alternatives_register(struct case_list *l);
void pf_cases_register(struct case_list *l);

/* ---------------------------------------------------------------- stats */

/* Median, min and max of N samples (N >= 1). Sorts a copy. */
struct bench_stats stats_of(const double *samples, unsigned n);

/* --------------------------------------------------------------- report */

struct run_info {
	unsigned rounds;
	double batch_ms;
	bool quick;
	int cpu_a, cpu_b; /* the two CPUs ping-pong cases are pinned to */
	unsigned ncpus;
};

void report_table(const struct case_list *l, const struct run_info *ri);
int report_json(const struct case_list *l, const struct run_info *ri,
		const char *path);

/* ------------------------------------------------------------- helpers */

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

/* A peer: a long-lived thread that runs FN(ARG, ITERS) once per batch when
 * kicked, then sleeps. Ping-pong cases keep their other side here so that
 * thread creation stays out of every timing. */
struct peer;
typedef void (*peer_fn)(void *arg, uint64_t iters);
/* INIT(ARG), when not NULL, runs once on the new thread (e.g. to join a
 * pfipc process); a non-zero return fails peer_start with it. FINI(ARG)
 * runs on the thread before it exits. CPU -1: not pinned. */
int peer_start(struct peer **out, peer_fn fn, void *arg, int cpu,
	       int (*init)(void *arg), void (*fini)(void *arg));
void peer_kick(struct peer *p, uint64_t iters);
void peer_wait(struct peer *p);
void peer_stop(struct peer *p);

/* ---------------------------------------------------------------- child */

/* Run case NAME in a fresh copy of this program (posix_spawn of
 * /proc/self/exe --case NAME --iters ITERS) with EXTRA_ENV ("K=V") added to
 * its environment. The child measures and prints "ns ops"; this returns 0
 * and those numbers, or -1. */
int child_run_case(const char *name, const char *extra_env, uint64_t iters,
		   uint64_t *ns, uint64_t *ops);

/* The --case mode: set up, warm up and time one batch of NAME, print
 * "ns ops" on stdout. Returns the process exit status. */
int child_main(struct case_list *l, const char *name, uint64_t iters);

#endif /* PFBENCH_H */
