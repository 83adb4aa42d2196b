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

#include "hist.h"
#include "sys.h"
#include "tick.h"

/* ---------------------------------------------------------------- cases */

struct bench_stats {
	double median_ns; /* per operation */
	double min_ns;
	double max_ns;
};

/* Per-operation latency of a case, from the latency pass (pfbench.c). */
struct bench_latency {
	uint64_t samples; /* operations timed (0: no pass) */
	double p50_ns, p99_ns, p999_ns; /* NAN where too few samples */
};

struct bench_case {
	const char *name;  /* id for JSON, --only and --case: "pf_gate" */
	/* "floor", "reference", "alternative", "pfipc", "throughput": the
	 * table shows the groups in this order, any other after them. */
	const char *group;
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
	 * keep thread wake-ups or a child process's start-up out of it.
	 * Every loop that makes the operations calls bench_tick() once per
	 * operation, in each thread that makes them. */
	uint64_t (*run)(void *ctx, uint64_t iters, uint64_t *ops);

	/* Filled in by the runner. */
	bool skipped;
	const char *why;
	uint64_t iters;
	double *samples; /* ns per operation, one per round */
	unsigned nsamples;
	uint64_t ops_per_batch; /* OPS of the last batch: callers x iters */
	struct bench_stats stats;
	struct hist *lat_hist; /* cycles, all callers pooled */
	struct bench_latency lat;
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
void entries_register(struct case_list *l);
void windows_register(struct case_list *l);

/* ----------------------------------------------------------------- load */

/* Start N CPU-bound threads (0 or -errno); stop them, returning how many
 * rounds of arithmetic they did in all. */
int load_start(unsigned n);
uint64_t load_stop(void);

/* ---------------------------------------------------------------- stats */

/* Median, min and max of N samples (N >= 1). Sorts a copy. */
struct bench_stats stats_of(const double *samples, unsigned n);

/* The median of case NAME, or NAN when it is absent or was skipped. */
double median_of(const struct case_list *l, const char *name);
/* Median over rounds of SELF / (A + B) (B may be NULL), or of
 * (A + B) / SELF when SPEED; NAN when a case is missing. */
double paired_ratio(const struct case_list *l, const char *self,
		    const char *a, const char *b, bool speed);

/* --------------------------------------------------------------- report */

struct run_info {
	unsigned rounds;
	double batch_ms;
	bool quick;
	unsigned load;         /* --load N */
	double latency_ms;     /* latency pass: target per case ... */
	uint64_t latency_ops;  /* ... and the least operations */
	double tick_armed_ns;  /* a tick's cost during the latency pass */
	double tick_idle_ns;   /* and during the rounds */
	double ns_per_cycle;
	bool tsc_invariant;
	int cpu_a, cpu_b; /* the two CPUs ping-pong cases are pinned to */
	unsigned ncpus;
};

/* ------------------------------------------------------------- targets */

struct target {
	const char *issue; /* "10", "3" */
	const char *what;
	double value; /* NAN: a case it needs is missing */
	double limit;
	const char *op; /* "<=", ">=" or "info" */
	int load;       /* the --load it is stated for; -1: any */
	bool applies;   /* to this run's --load */
	char detail[160];
	char what_buf[80];
};

#define MAX_TARGETS 64

unsigned targets_of(const struct case_list *l, const struct run_info *ri,
		    struct target *t, unsigned cap);
/* "met", "MISSED", "info" or "n/a" (a case missing, or another load). */
const char *target_verdict(const struct target *t);

void report_table(const struct case_list *l, const struct run_info *ri);
int report_json(const struct case_list *l, const struct run_info *ri,
		const char *path);

/* ------------------------------------------------------------- helpers */

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

/* A handler installed with the raw rt_sigaction for a batch (raw_signal.c):
 * pfipc's sigaction() interposition stays out of the floors. Call
 * raw_find_restorer once (normal context) before the first swap. */
#include <signal.h>
/* The signal context's instruction and stack pointers, and the register
 * a system call returns in, for the build's architecture. */
#if defined(__x86_64__)
#define CTX_PC  REG_RIP
#define CTX_SP  REG_RSP
#define CTX_RET REG_RAX
#else
#define CTX_PC  REG_EIP
#define CTX_SP  REG_ESP
#define CTX_RET REG_EAX
#endif

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
struct raw_swap {
	int sig;
	void (*handler)(int, siginfo_t *, void *);
	struct kernel_sigaction saved;
};
/* False when the C library's signal restorer cannot be found. */
bool raw_find_restorer(void);
void raw_swap_in(struct raw_swap *s);
void raw_swap_out(struct raw_swap *s);
/* SIG back to its default action, in the kernel (async-signal-safe). */
void raw_default(int sig);

/* ---------------------------------------------------------------- child */

/* Run case NAME in a fresh copy of this program (posix_spawn of
 * /proc/self/exe --case NAME --iters ITERS) with EXTRA_ENV ("K=V") added to
 * its environment. The child measures and prints "ns ops"; this returns 0
 * and those numbers, or -1. */
int child_run_case(const char *name, const char *extra_env, uint64_t iters,
		   uint64_t *ns, uint64_t *ops);

/* The --case mode: set up, warm up and time one batch of NAME, print
 * "ns ops" on stdout; with LATENCY, the batch also ticks and the lines
 * after are "b BUCKET COUNT" of its histogram (cycles). Returns the process
 * exit status. When called during a latency pass, child_run_case asks for
 * those lines and adds them to the calling thread's log. */
int child_main(struct case_list *l, const char *name, uint64_t iters,
	       bool latency);

#endif /* PFBENCH_H */
