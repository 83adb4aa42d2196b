/*
 * floors.c — what a pf call can never beat, measured in the same run.
 *
 * A pf call is a fault, a hand-off to another thread and a hand-back. Its
 * floor is therefore the bare fault round trip plus the cheapest cross-thread
 * round trip (spin ping-pong); a migrating call has only the fault. The other
 * figures are context: a plain indirect call (what the code would cost with
 * no isolation at all), int3 (another way into a handler), futex ping-pong
 * (a hand-off that sleeps), and two references a reader knows from
 * elsewhere: getpid (the cheapest real syscall) and clock_gettime through
 * the vDSO (a kernel service with no kernel entry).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "bench.h"

/* ---------------------------------------------------- direct indirect call */

__attribute__((noinline)) static long add_one(long x)
{
	__asm__ volatile("" ::: "memory"); /* keep it a real function */
	return x + 1;
}

/* volatile: the compiler must load the pointer and call through it every
 * time, as code calling through a function table would. */
static long (*volatile direct_fn)(long) = add_one;

static uint64_t direct_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	long acc = 0;
	uint64_t t0 = now_ns();

	(void)ctx;
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		acc = direct_fn(acc);
	}
	uint64_t t1 = now_ns();
	if ((uint64_t)acc != iters)
		fprintf(stderr, "pfbench: call_direct: wrong sum\n");
	*ops = iters;
	return t1 - t0;
}

/* ------------------------------------------------------ SIGSEGV round trip */

/*
 * A call to a PROT_NONE page faults on the instruction fetch at the target:
 * the CALL has already pushed its return address, so RIP == si_addr and the
 * return address is at [RSP]. Popping it into RIP is exactly a RET, which is
 * all the handler does: the cost measured is the kernel's fault delivery,
 * the signal frame and sigreturn, nothing of ours.
 */
static void *segv_page;
static void (*volatile segv_target)(void);
static void segv_return(int sig, siginfo_t *si, void *uc_);
/* Installed raw (raw_signal.c): the floor is the kernel's alone. */
static struct raw_swap segv_swap = { SIGSEGV, segv_return, { 0 } };

static void segv_return(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rsp = (uint64_t)g[REG_RSP];

	(void)sig;
	if (si->si_addr != segv_page ||
	    (uint64_t)g[REG_RIP] != (uint64_t)segv_page) {
		/* Not ours: let the fault happen again and kill us plainly. */
		raw_default(SIGSEGV);
		return;
	}
	g[REG_RIP] = (greg_t) * (uint64_t *)rsp;
	g[REG_RSP] = (greg_t)(rsp + 8);
}

static int segv_setup(void *ctx, const char **why)
{
	(void)ctx;
	segv_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (segv_page == MAP_FAILED) {
		*why = "mmap failed";
		return -1;
	}
	segv_target = (void (*)(void))segv_page;
	return 0;
}

/* pfipc owns SIGSEGV for the rest of the run (pf_init installs its handler):
 * ours is installed only around this case's batches and the previous one is
 * put back after, so no pf call ever meets it. SA_ONSTACK as pfipc uses, so
 * that when the thread has an alternate stack both run on it. */
static void segv_begin(void *ctx)
{
	(void)ctx;
	raw_find_restorer();
	raw_swap_in(&segv_swap);
}

static void segv_end(void *ctx)
{
	(void)ctx;
	raw_swap_out(&segv_swap);
}

static uint64_t segv_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	uint64_t t0 = now_ns();

	(void)ctx;
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		segv_target();
	}
	*ops = iters;
	return now_ns() - t0;
}

/*
 * The same from two threads at once, on two CPUs: the ceiling for any
 * throughput that rests on faults. If the kernel serialised fault delivery
 * between the threads of one process, two faulting threads would not double
 * the rate; this shows by how much they do.
 */
struct segv_pair {
	struct peer *peer;
	struct cpu_saved saved;
};

static void segv_peer(void *arg, uint64_t iters)
{
	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		segv_target();
	}
}

static int segv2_setup(void *ctx, const char **why)
{
	struct segv_pair *sp = ctx;

	if (!segv_page && segv_setup(NULL, why) != 0)
		return -1;
	if (peer_start(&sp->peer, segv_peer, sp, cpu_b(), NULL, NULL) != 0) {
		*why = "could not start the peer thread";
		return -1;
	}
	return 0;
}

static void segv2_begin(void *ctx)
{
	struct segv_pair *sp = ctx;

	cpu_pin(cpu_a(), &sp->saved);
	segv_begin(NULL);
}

static void segv2_end(void *ctx)
{
	struct segv_pair *sp = ctx;

	segv_end(NULL);
	cpu_unpin(&sp->saved);
}

static uint64_t segv2_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct segv_pair *sp = ctx;
	uint64_t t0 = now_ns();

	peer_kick(sp->peer, iters);
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		segv_target();
	}
	peer_wait(sp->peer);
	*ops = 2 * iters;
	return now_ns() - t0;
}

static struct segv_pair segv_pair;

/* ---------------------------------------------------------- int3 -> SIGTRAP */

/* The kernel reports int3 with RIP already past it: an empty handler
 * resumes the code. */
static void trap_ignore(int sig, siginfo_t *si, void *uc);
static struct raw_swap trap_swap = { SIGTRAP, trap_ignore, { 0 } };

static void trap_ignore(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
}

static void trap_begin(void *ctx)
{
	(void)ctx;
	raw_find_restorer();
	raw_swap_in(&trap_swap);
}

static void trap_end(void *ctx)
{
	(void)ctx;
	raw_swap_out(&trap_swap);
}

static uint64_t trap_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	uint64_t t0 = now_ns();

	(void)ctx;
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		__asm__ volatile("int3" ::: "memory");
	}
	*ops = iters;
	return now_ns() - t0;
}

/* ------------------------------------------------------------------ getpid */

/* syscall() rather than getpid(): a libc may cache the pid. */
static uint64_t getpid_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	uint64_t t0 = now_ns();

	(void)ctx;
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		syscall(SYS_getpid);
	}
	*ops = iters;
	return now_ns() - t0;
}

/* ----------------------------------------------------------- clock_gettime */

/* The other reference: a "system call" the vDSO answers in user space, as
 * long as the clock source lets it (tsc, kvm-clock; the header of the
 * table names this run's). The sum keeps every call. */
static uint64_t clock_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct timespec ts;
	uint64_t sum = 0, t0 = now_ns();

	(void)ctx;
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sum += (uint64_t)ts.tv_nsec;
	}
	__asm__ volatile("" : : "r"(sum));
	*ops = iters;
	return now_ns() - t0;
}

/* ---------------------------------------------- futex and spin ping-pong */

/*
 * Two counters, one per direction. Main bumps PING and waits for PONG to
 * catch up; the peer waits for PING, then bumps PONG. Both sides count the
 * same number of rounds per batch, so each keeps its own copy of where the
 * counters stand and no reset is needed between batches.
 */
struct pingpong {
	bool sleep;    /* futex: always wake and sleep; spin: never */
	bool one_cpu;  /* both threads on cpu_a: no cross-CPU wake-up */
	uint32_t ping; /* futex words */
	uint32_t pong;
	uint32_t main_seq; /* main's copy */
	uint32_t peer_seq; /* the peer's copy */
	struct peer *peer;
	struct cpu_saved saved;
};

static void pp_await(struct pingpong *pp, uint32_t *word, uint32_t want)
{
	uint32_t v;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != want) {
		if (pp->sleep)
			futex_wait(word, v);
		else
			spin_relax();
	}
}

static void pp_signal(struct pingpong *pp, uint32_t *word, uint32_t v)
{
	__atomic_store_n(word, v, __ATOMIC_RELEASE);
	if (pp->sleep)
		futex_wake(word, 1);
}

static void pp_peer(void *arg, uint64_t iters)
{
	struct pingpong *pp = arg;

	for (uint64_t i = 0; i < iters; i++) {
		pp->peer_seq++;
		pp_await(pp, &pp->ping, pp->peer_seq);
		pp_signal(pp, &pp->pong, pp->peer_seq);
	}
}

static int pp_setup(void *ctx, const char **why)
{
	struct pingpong *pp = ctx;

	int cpu = pp->one_cpu ? cpu_a() : cpu_b();

	if (peer_start(&pp->peer, pp_peer, pp, cpu, NULL, NULL) != 0) {
		*why = "could not start the peer thread";
		return -1;
	}
	return 0;
}

static void pp_begin(void *ctx)
{
	struct pingpong *pp = ctx;

	cpu_pin(cpu_a(), &pp->saved);
}

static void pp_end(void *ctx)
{
	struct pingpong *pp = ctx;

	cpu_unpin(&pp->saved);
}

static uint64_t pp_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct pingpong *pp = ctx;

	peer_kick(pp->peer, iters);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		pp->main_seq++;
		pp_signal(pp, &pp->ping, pp->main_seq);
		pp_await(pp, &pp->pong, pp->main_seq);
	}
	uint64_t t1 = now_ns();
	peer_wait(pp->peer);
	*ops = iters;
	return t1 - t0;
}

static struct pingpong futex_pp = { .sleep = true };
static struct pingpong spin_pp = { .sleep = false };
/* Waking a thread that sleeps on another, idle CPU can cost far more than
 * the two context switches of a same-CPU hand-off (in a VM the idle vCPU
 * has halted and the host must reschedule it); this case shows which. */
static struct pingpong futex_pp_1cpu = { .sleep = true, .one_cpu = true };

void floors_register(struct case_list *l)
{
	case_add(l, &(struct bench_case){
		.name = "call_direct", .group = "floor",
		.label = "indirect call (volatile fn pointer)",
		.run = direct_run });
	case_add(l, &(struct bench_case){
		.name = "sigsegv", .group = "floor",
		.label = "SIGSEGV round trip, handler = RET",
		.setup = segv_setup, .begin = segv_begin, .end = segv_end,
		.run = segv_run });
	case_add(l, &(struct bench_case){
		.name = "sigsegv_2t", .group = "floor",
		.label = "SIGSEGV, 2 threads at once (per op)",
		.throughput = true, .ctx = &segv_pair, .setup = segv2_setup,
		.begin = segv2_begin, .end = segv2_end, .run = segv2_run });
	case_add(l, &(struct bench_case){
		.name = "int3", .group = "floor",
		.label = "int3 -> SIGTRAP round trip",
		.begin = trap_begin, .end = trap_end, .run = trap_run });
	case_add(l, &(struct bench_case){
		.name = "getpid", .group = "reference",
		.label = "getpid() syscall",
		.run = getpid_run });
	case_add(l, &(struct bench_case){
		.name = "clock_gettime", .group = "reference",
		.label = "clock_gettime(MONOTONIC), vDSO",
		.run = clock_run });
	case_add(l, &(struct bench_case){
		.name = "futex_pp", .group = "floor",
		.label = "futex ping-pong, 2 threads",
		.ctx = &futex_pp, .setup = pp_setup, .begin = pp_begin,
		.end = pp_end, .run = pp_run });
	case_add(l, &(struct bench_case){
		.name = "futex_pp_1cpu", .group = "floor",
		.label = "futex ping-pong, 2 threads, same CPU",
		.ctx = &futex_pp_1cpu, .setup = pp_setup, .begin = pp_begin,
		.end = pp_end, .run = pp_run });
	case_add(l, &(struct bench_case){
		.name = "spin_pp", .group = "floor",
		.label = "spin ping-pong, 2 threads",
		.ctx = &spin_pp, .setup = pp_setup, .begin = pp_begin,
		.end = pp_end, .run = pp_run });
}
