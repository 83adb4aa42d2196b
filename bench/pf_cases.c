/*
 * pf_cases.c — the pfipc side of pfbench; the only file that includes
 * pfipc.h.
 *
 * The main thread joins as process "bench" (the client). Each measured
 * export lives in a server process of its own, created the first time a
 * case needs it, so that an export the library refuses (a flag not built
 * yet) skips only its own cases. The latency servers pin their thread to
 * the other CPU from the client's, as the spin ping-pong floor does: that
 * floor plus the SIGSEGV floor is what a message-passing call is held to.
 *
 * Cases:
 *   pf_slot, pf_movcall, pf_gate   one synchronous call through each of the
 *                                  three shapes compiled C takes (DESIGN.md)
 *   pf_*_miss, pf_*_child          the shapes that decode, in a child (see
 *                                  child.c) with PFIPC_DECODE_CACHE=0, and
 *                                  with it =1 as the control
 *   pf_args10                      10 arguments, 64 bytes of them on stack
 *   pf_mig                         PF_EXPORT_MIGRATE: runs on our thread
 *   pf_mig_{slot,movcall}[_miss]   the decoding shapes, migrating, cache on
 *                                  and off: Capstone's cost without the
 *                                  hand-off's noise around it
 *   pf_tp_{msg,re,mig}_{1,2}       calls/s from 1 and 2 caller threads
 *   pf_{gate,mig}_{trace,stats}    pf_gate and pf_mig while a trace is
 *                                  recorded, or statistics counted (the
 *                                  plain cases run with both off)
 *
 * This file must be compiled with optimisation (meson.build forces -O2):
 * the slot loop relies on the compiler emitting `call *(%reg)`.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pfipc.h>

#include "bench.h"

/* ------------------------------------------------------------ exports */

__attribute__((noinline)) static long srv_add(long a, long b)
{
	return a + b;
}

/* 16 bytes, INTEGER class: it would go in two registers, but once the six
 * integer registers are taken the whole struct goes on the stack. Four of
 * them after six longs make 10 arguments with exactly 64 stack bytes, the
 * STACK_BYTES the export must declare. */
struct pair {
	long lo, hi;
};

#define ARGS10_STACK_BYTES (4 * sizeof(struct pair))

__attribute__((noinline)) static long srv_args10(long a, long b, long c,
						 long d, long e, long f,
						 struct pair g, struct pair h,
						 struct pair i, struct pair j)
{
	/* Weighted, so that a swapped or dropped argument shows. */
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g.lo +
	       8 * g.hi + 9 * h.lo + 10 * h.hi + 11 * i.lo + 12 * i.hi +
	       13 * j.lo + 14 * j.hi;
}

typedef long add_fn(long, long);
typedef long args10_fn(long, long, long, long, long, long, struct pair,
		       struct pair, struct pair, struct pair);

/* ------------------------------------------------------------ servers */

struct server {
	const char *proc;   /* process name */
	const char *export; /* qualified name; its namespace is this server's */
	void *fn;
	size_t stack_bytes;
	unsigned flags;
	unsigned threads;
	bool pin; /* its (first) thread on the CPU the client is not on */
	/* state */
	bool tried;
	int err;
};

static struct server srv_lat = { .proc = "bench_lat", .export = "lat.add",
				 .fn = (void *)srv_add, .pin = true };
static struct server srv_a10 = { .proc = "bench_a10", .export = "a10.call",
				 .fn = (void *)srv_args10,
				 .stack_bytes = ARGS10_STACK_BYTES,
				 .pin = true };
static struct server srv_mig = { .proc = "bench_mig", .export = "mig.add",
				 .fn = (void *)srv_add,
				 .flags = PF_EXPORT_MIGRATE };
/* Throughput servers are not pinned: with two callers and a server on two
 * CPUs, the scheduler places them better than any fixed choice. */
static struct server srv_tp = { .proc = "bench_tp", .export = "tp.add",
				.fn = (void *)srv_add };
static struct server srv_re = { .proc = "bench_re", .export = "re.add",
				.fn = (void *)srv_add,
				.flags = PF_EXPORT_REENTRANT, .threads = 2 };

/* Runs on the server's own thread: pinning here pins that thread. */
static int server_init(void *arg)
{
	struct server *s = arg;
	struct cpu_saved ignored;

	if (s->pin)
		cpu_pin(cpu_b(), &ignored);
	return pf_export(s->export, s->fn, s->stack_bytes, s->flags);
}

static pf_process *client;
static int client_err = 1; /* 1: not tried yet */

/* The main thread becomes process "bench" once, the first time a pf case
 * is set up; so `--list`, the floors-only runs and a child that measures a
 * floor never start pfipc. */
static int client_join(void)
{
	if (client_err == 1)
		client_err = pf_process_join_self(&client, "bench");
	return client_err;
}

static int server_ensure(struct server *s)
{
	pf_process *p;
	pf_process_options o;

	if (s->tried)
		return s->err;
	s->tried = true;
	memset(&o, 0, sizeof(o));
	o.threads = s->threads;
	s->err = pf_process_create(&p, s->proc, &o, server_init, s);
	return s->err;
}

/* "what: message" into BUF, for a skipped case's reason. */
static const char *why_of(char *buf, size_t cap, const char *what, int err)
{
	snprintf(buf, cap, "%s: %s (%d)", what, pf_strerror(err), err);
	return buf;
}

/* Join, start S, import its export. 0, or non-zero with *why set. */
static int import_from(struct server *s, pf_import **imp, char *buf,
		       size_t cap, const char **why)
{
	int err;

	if ((err = client_join()) != 0) {
		*why = why_of(buf, cap, "pf_process_join_self", err);
		return -1;
	}
	if ((err = server_ensure(s)) != 0) {
		*why = why_of(buf, cap, "pf_process_create", err);
		return -1;
	}
	if ((err = pf_import_create(imp, s->export, 0)) != 0) {
		*why = why_of(buf, cap, "pf_import_create", err);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------- call shapes */

/*
 * Each loop is its own function so that the call is the whole loop body and
 * its shape can be checked with objdump (`objdump -d pfbench | grep -A30
 * loop_slot`). The running sum doubles as the check that every call
 * returned what srv_add computes.
 */

/* -O2 shape: the slot pointer stays in a register and every call reads
 * the slot: `call *(%rbx)`. The compiler must reload *slot each time (the
 * call could have changed it), which is what keeps this shape. */
__attribute__((noinline)) static long loop_slot(add_fn *const *slot,
						uint64_t iters)
{
	long acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		acc = (*slot)(acc, 1);
	}
	return acc;
}

/*
 * -O0 shape, written out so that it does not depend on what a compiler at
 * -O0 happens to emit: load the slot into a register (pfipc emulates the
 * faulting MOV by loading the gate), then call the register (faults at the
 * gate, return address already pushed). The asm makes a call the compiler
 * does not see, so it steps over the red zone, aligns the stack to 16 as
 * the ABI wants at a call, and declares every caller-saved register
 * clobbered.
 */
static inline long call_movcall(add_fn *const *slot, long a, long b)
{
	register long rdi __asm__("rdi") = a;
	register long rsi __asm__("rsi") = b;
	register long rax __asm__("rax") = (long)slot;

	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "sub $128, %%rsp\n\t"    /* past the red zone */
			 "and $-16, %%rsp\n\t"    /* ABI call alignment */
			 "mov (%%rax), %%rdx\n\t" /* faults: emulated */
			 "call *%%rdx\n\t"        /* faults at the gate */
			 "mov %%rbx, %%rsp\n\t"
			 : "+r"(rax), "+r"(rdi), "+r"(rsi)
			 :
			 : "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11",
			   "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
			   "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
			   "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
			   "xmm15");
	return rax;
}

__attribute__((noinline)) static long loop_movcall(add_fn *const *slot,
						   uint64_t iters)
{
	long acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		acc = call_movcall(slot, acc, 1);
	}
	return acc;
}

/* Gate shape: an ordinary function pointer, `call *%rbx`. */
__attribute__((noinline)) static long loop_gate(add_fn *gate, uint64_t iters)
{
	long acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		acc = gate(acc, 1);
	}
	return acc;
}

static const struct pair P1 = { 1, 2 }, P2 = { 3, 4 }, P3 = { 5, 6 },
			 P4 = { 7, 8 };

__attribute__((noinline)) static long loop_args10(args10_fn *gate,
						  uint64_t iters)
{
	long acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		acc = gate(acc, 1, 2, 3, 4, 5, P1, P2, P3, P4) - acc;
	}
	return acc;
}

/* ------------------------------------------------- synchronous cases */

enum shape { SHAPE_SLOT, SHAPE_MOVCALL, SHAPE_GATE, SHAPE_ARGS10 };

/* What is switched on around each batch of a case (untimed). */
enum observe { OBSERVE_NONE, OBSERVE_TRACE, OBSERVE_STATS };

struct sync_case {
	struct server *server;
	enum shape shape;
	enum observe observe;
	pf_import *imp;
	struct cpu_saved saved;
	char why[128];
};

/* A trace recorded during a batch is written when the batch ends (untimed)
 * to a scratch file, removed at exit. Each batch starts a new trace, so no
 * buffer fills within one. */
static char trace_scratch[64];

static void trace_scratch_remove(void)
{
	unlink(trace_scratch);
}

static void observe_start(enum observe o)
{
	if (o == OBSERVE_STATS) {
		pf_stats_enable(1);
	} else if (o == OBSERVE_TRACE) {
		if (!trace_scratch[0]) {
			snprintf(trace_scratch, sizeof(trace_scratch),
				 "/tmp/pfbench-trace-%d.json", (int)getpid());
			atexit(trace_scratch_remove);
		}
		if (pf_trace_start(trace_scratch) != 0)
			fprintf(stderr, "pfbench: pf_trace_start failed\n");
	}
}

static void observe_stop(enum observe o)
{
	if (o == OBSERVE_STATS)
		pf_stats_enable(0);
	else if (o == OBSERVE_TRACE)
		pf_trace_stop();
}

/* What one call returns, and what ITERS calls leave in the running sum. */
static long args10_direct(void)
{
	return srv_args10(0, 1, 2, 3, 4, 5, P1, P2, P3, P4);
}

static long expected_sum(enum shape shape, uint64_t iters)
{
	return shape == SHAPE_ARGS10 ? args10_direct() : (long)iters;
}

static long sync_loop(struct sync_case *sc, uint64_t iters)
{
	switch (sc->shape) {
	case SHAPE_SLOT:
		return loop_slot(PF_SLOT(add_fn, sc->imp), iters);
	case SHAPE_MOVCALL:
		return loop_movcall(PF_SLOT(add_fn, sc->imp), iters);
	case SHAPE_GATE:
		return loop_gate(PF_GATE(add_fn, sc->imp), iters);
	case SHAPE_ARGS10:
		return loop_args10(PF_GATE(args10_fn, sc->imp), iters);
	}
	return -1;
}

static int sync_setup(void *ctx, const char **why)
{
	struct sync_case *sc = ctx;
	long got;

	if (import_from(sc->server, &sc->imp, sc->why, sizeof(sc->why), why))
		return -1;
	/* One call before any timing: a library that returns the wrong
	 * value must not be timed as if it worked. */
	got = sync_loop(sc, 1);
	if (pf_errno() != 0) {
		*why = why_of(sc->why, sizeof(sc->why), "first call",
			      pf_errno());
		return -1;
	}
	if (got != expected_sum(sc->shape, 1)) {
		snprintf(sc->why, sizeof(sc->why),
			 "first call returned %ld, expected %ld", got,
			 expected_sum(sc->shape, 1));
		*why = sc->why;
		return -1;
	}
	return 0;
}

static void sync_begin(void *ctx)
{
	struct sync_case *sc = ctx;

	cpu_pin(cpu_a(), &sc->saved);
	observe_start(sc->observe);
}

static void sync_end(void *ctx)
{
	struct sync_case *sc = ctx;

	observe_stop(sc->observe);
	cpu_unpin(&sc->saved);
}

static uint64_t sync_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct sync_case *sc = ctx;
	uint64_t t0 = now_ns();
	long got = sync_loop(sc, iters);
	uint64_t t1 = now_ns();

	if (got != expected_sum(sc->shape, iters) || pf_errno() != 0)
		fprintf(stderr, "pfbench: wrong result %ld (pf_errno %d)\n",
			got, pf_errno());
	*ops = iters;
	return t1 - t0;
}

static struct sync_case c_slot = { .server = &srv_lat,
				  .shape = SHAPE_SLOT };
static struct sync_case c_movcall = { .server = &srv_lat,
				  .shape = SHAPE_MOVCALL };
static struct sync_case c_gate = { .server = &srv_lat,
				  .shape = SHAPE_GATE };
static struct sync_case c_args10 = { .server = &srv_a10,
				  .shape = SHAPE_ARGS10 };
static struct sync_case c_mig = { .server = &srv_mig,
				  .shape = SHAPE_GATE };
/* The decoding shapes against the migrating export: with no hand-off in
 * the way (~40 us of wake-ups on a VM), Capstone's share shows. */
static struct sync_case c_mig_slot = { .server = &srv_mig,
				       .shape = SHAPE_SLOT };
static struct sync_case c_mig_movcall = { .server = &srv_mig,
					  .shape = SHAPE_MOVCALL };
/* What recording costs: the same calls with a trace or statistics on. */
static struct sync_case c_gate_trace = { .server = &srv_lat, .shape = SHAPE_GATE,
					 .observe = OBSERVE_TRACE };
static struct sync_case c_gate_stats = { .server = &srv_lat, .shape = SHAPE_GATE,
					 .observe = OBSERVE_STATS };
static struct sync_case c_mig_trace = { .server = &srv_mig, .shape = SHAPE_GATE,
					.observe = OBSERVE_TRACE };
static struct sync_case c_mig_stats = { .server = &srv_mig, .shape = SHAPE_GATE,
					.observe = OBSERVE_STATS };

/* ------------------------------------------- decode cache off: a child */

/* The library has no knob for its decode cache but PFIPC_DECODE_CACHE,
 * read at pf_init; this process has long passed that point. */
struct child_case {
	const char *runs; /* the case the child measures */
	const char *env;
	char why[64];
};

static int child_setup(void *ctx, const char **why)
{
	struct child_case *cc = ctx;
	uint64_t ns, ops;

	if (child_run_case(cc->runs, cc->env, 16, &ns, &ops) != 0) {
		snprintf(cc->why, sizeof(cc->why), "child run of %s failed",
			 cc->runs);
		*why = cc->why;
		return -1;
	}
	return 0;
}

static uint64_t child_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct child_case *cc = ctx;
	uint64_t ns;

	if (child_run_case(cc->runs, cc->env, iters, &ns, ops) != 0) {
		fprintf(stderr, "pfbench: child run of %s failed\n", cc->runs);
		*ops = 1;
		return 0;
	}
	return ns;
}

#define CACHE_OFF "PFIPC_DECODE_CACHE=0"
#define CACHE_ON "PFIPC_DECODE_CACHE=1"
/* Every shape that may decode, in a child with the cache off (_miss) and,
 * as its control, in a child with the cache on (_child): a fresh process
 * starts with cold caches and the library's spin budgets at their start
 * values, so a miss is compared with a hit measured the same way. */
static const char *const DECODE_SHAPES[] = { "pf_slot", "pf_movcall",
					     "pf_gate", "pf_mig_slot",
					     "pf_mig_movcall" };
#define NSHAPES (sizeof(DECODE_SHAPES) / sizeof(DECODE_SHAPES[0]))
static struct child_case c_child[NSHAPES][2];
static char child_names[NSHAPES][2][32], child_labels[NSHAPES][2][48];

/* --------------------------------------------------------- throughput */

/*
 * Calls per second against one server from 1 or 2 caller threads of the
 * client process: main, and a peer thread that joined the client with
 * pf_thread_attach. Nothing is pinned. Both callers make ITERS calls; the
 * batch lasts until the later one is done.
 */
struct tp_case {
	struct server *server;
	unsigned callers;
	pf_import *imp;
	struct peer *worker;
	char why[128];
};

static int worker_attach(void *arg)
{
	(void)arg;
	return pf_thread_attach(client);
}

static void worker_detach(void *arg)
{
	(void)arg;
	pf_thread_detach();
}

static void worker_calls(void *arg, uint64_t iters)
{
	struct tp_case *tc = arg;

	if (loop_gate(PF_GATE(add_fn, tc->imp), iters) != (long)iters)
		fprintf(stderr, "pfbench: worker: wrong result (pf_errno %d)\n",
			pf_errno());
}

static int tp_setup(void *ctx, const char **why)
{
	struct tp_case *tc = ctx;
	int err;

	if (import_from(tc->server, &tc->imp, tc->why, sizeof(tc->why), why))
		return -1;
	if (loop_gate(PF_GATE(add_fn, tc->imp), 1) != 1 || pf_errno() != 0) {
		*why = why_of(tc->why, sizeof(tc->why), "first call",
			      pf_errno() ? pf_errno() : -EIO);
		return -1;
	}
	if (tc->callers < 2)
		return 0;
	err = peer_start(&tc->worker, worker_calls, tc, -1, worker_attach,
			 worker_detach);
	if (err != 0) {
		*why = why_of(tc->why, sizeof(tc->why), "pf_thread_attach",
			      err < 0 ? err : -EAGAIN);
		return -1;
	}
	return 0;
}

static uint64_t tp_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct tp_case *tc = ctx;
	uint64_t t0 = now_ns();

	if (tc->worker)
		peer_kick(tc->worker, iters);
	if (loop_gate(PF_GATE(add_fn, tc->imp), iters) != (long)iters)
		fprintf(stderr, "pfbench: wrong result (pf_errno %d)\n",
			pf_errno());
	if (tc->worker)
		peer_wait(tc->worker);
	*ops = iters * tc->callers;
	return now_ns() - t0;
}

static struct tp_case c_tp_msg_1 = { .server = &srv_tp, .callers = 1 };
static struct tp_case c_tp_msg_2 = { .server = &srv_tp, .callers = 2 };
static struct tp_case c_tp_re_1 = { .server = &srv_re, .callers = 1 };
static struct tp_case c_tp_re_2 = { .server = &srv_re, .callers = 2 };
static struct tp_case c_tp_mig_1 = { .server = &srv_mig, .callers = 1 };
static struct tp_case c_tp_mig_2 = { .server = &srv_mig, .callers = 2 };

/* ----------------------------------------------------------- register */

#define SYNC(n, c, lbl)                                                     \
	case_add(l, &(struct bench_case){ .name = n, .group = "pfipc",      \
					  .label = lbl, .ctx = c,           \
					  .setup = sync_setup,              \
					  .begin = sync_begin,              \
					  .end = sync_end, .run = sync_run })
#define CHILD(n, c, lbl)                                                    \
	case_add(l, &(struct bench_case){ .name = n, .group = "pfipc",      \
					  .label = lbl, .ctx = c,           \
					  .setup = child_setup,             \
					  .run = child_run })
#define TP(n, c, lbl)                                                       \
	case_add(l, &(struct bench_case){ .name = n, .group = "throughput", \
					  .label = lbl, .ctx = c,           \
					  .throughput = true,               \
					  .setup = tp_setup, .run = tp_run })

void pf_cases_register(struct case_list *l)
{
	SYNC("pf_slot", &c_slot, "pf call *slot: call *(%reg)");
	SYNC("pf_movcall", &c_movcall, "pf mov slot,%reg; call *%reg");
	SYNC("pf_gate", &c_gate, "pf call gate fn pointer");
	SYNC("pf_args10", &c_args10, "pf gate, 10 args (64 stack bytes)");
	SYNC("pf_mig", &c_mig, "pf gate, migrating export");
	SYNC("pf_mig_slot", &c_mig_slot, "pf_slot shape, migrating export");
	SYNC("pf_mig_movcall", &c_mig_movcall,
	     "pf_movcall shape, migrating export");
	SYNC("pf_gate_trace", &c_gate_trace, "pf_gate, tracing on");
	SYNC("pf_gate_stats", &c_gate_stats, "pf_gate, statistics on");
	SYNC("pf_mig_trace", &c_mig_trace, "pf_mig, tracing on");
	SYNC("pf_mig_stats", &c_mig_stats, "pf_mig, statistics on");
	for (unsigned i = 0; i < NSHAPES; i++) {
		for (unsigned off = 0; off < 2; off++) {
			struct child_case *cc = &c_child[i][off];

			cc->runs = DECODE_SHAPES[i];
			cc->env = off ? CACHE_OFF : CACHE_ON;
			snprintf(child_names[i][off], sizeof(child_names[i][off]),
				 "%s_%s", cc->runs, off ? "miss" : "child");
			snprintf(child_labels[i][off],
				 sizeof(child_labels[i][off]), "%s, child, %s",
				 cc->runs, off ? "cache off" : "cache on");
			CHILD(child_names[i][off], cc, child_labels[i][off]);
		}
	}
	TP("pf_tp_msg_1", &c_tp_msg_1, "1 caller, plain export");
	TP("pf_tp_msg_2", &c_tp_msg_2, "2 callers, plain export");
	TP("pf_tp_re_1", &c_tp_re_1, "1 caller, reentrant, 2 threads");
	TP("pf_tp_re_2", &c_tp_re_2, "2 callers, reentrant, 2 threads");
	TP("pf_tp_mig_1", &c_tp_mig_1, "1 caller, migrating export");
	TP("pf_tp_mig_2", &c_tp_mig_2, "2 callers, migrating export");
}
