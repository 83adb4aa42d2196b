/* Spin-then-futex hand-off.
 *
 * The spin budget (time) adapts per thread to how long its waits really
 * last: a wait that ended while spinning doubles it (up to SPIN_MAX_NS); a
 * wait that had to sleep but ended within SPIN_MAX_NS sets it to twice
 * that wait, so the next one like it is caught spinning (a budget that had
 * decayed to its minimum recovers at the first call that comes soon
 * enough); a wait longer than that halves it. So a thread whose partner
 * answers within the window never pays a futex wake-up twice in a row, and
 * threads on an oversubscribed machine, or idle ones, quickly stop burning
 * the cores others need. On a single CPU spinning can only delay the
 * partner, so it is off.
 *
 * Ordering (Dekker): the waiter publishes `sleeping` (and its idle bit),
 * then reads `wake`, then checks the condition; a notifier makes the
 * condition true, then bumps `wake`, then reads `sleeping`. All seq_cst, so
 * either the waiter sees the condition or the notifier sees the sleeper. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "proc/wait.h"

/* Spin budgets in nanoseconds. Waking a sleeping thread on another CPU
 * costs tens of microseconds on a VM, a fault a microsecond or two: a
 * partner that answers within SPIN_MAX_NS is worth spinning for. */
#define SPIN_MIN_NS 1000u
#define SPIN_MAX_NS 100000u

/* Set once, before any spin reads them (pthread_once orders the writes
 * before every later reader). */
static pthread_once_t calibrated = PTHREAD_ONCE_INIT;
static bool spin_allowed;
static double tsc_per_ns;

/* Spinning reads the TSC (a few ns) rather than the clock (tens). */
static void calibrate(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = __builtin_ia32_rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 200000);
	uint64_t t1 = __builtin_ia32_rdtsc();
	long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
	tsc_per_ns = (double)(t1 - t0) / (double)ns;
	spin_allowed = sysconf(_SC_NPROCESSORS_ONLN) > 1 && tsc_per_ns > 0;
}

static bool can_spin(void)
{
	pthread_once(&calibrated, calibrate);
	return spin_allowed;
}

/* The words waited on are in shared memory, and the thread that wakes a
 * waiter may be in another OS process (an isolated process): a private
 * futex is keyed by the address space and would never meet it. So these
 * are shared futexes, which the kernel keys by the page of the memfd. */
static void futex_wait(_Atomic uint32_t *word, uint32_t seen,
		       const struct timespec *deadline)
{
	syscall(SYS_futex, word, FUTEX_WAIT_BITSET, seen, deadline,
		NULL, FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void futex_wait_word(_Atomic uint32_t *word, uint32_t seen)
{
	futex_wait(word, seen, NULL);
}

void futex_wake_word(_Atomic uint32_t *word)
{
	futex_wake(word);
}

void futex_wake_all_word(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

int wake_group_join(struct wake_group *g, struct waiter *w)
{
	for (unsigned i = 0; i < LIMIT_PROCESS_THREADS; i++) {
		struct waiter *none = NULL;
		if (atomic_compare_exchange_strong(&g->members[i], &none, w)) {
			w->index = i;
			return 0;
		}
	}
	return -ENOSPC;
}

void wake_group_leave(struct wake_group *g, struct waiter *w)
{
	atomic_store(&g->members[w->index], NULL);
}

void wake_group_reset(struct wake_group *g)
{
	for (unsigned i = 0; i < LIMIT_PROCESS_THREADS; i++)
		atomic_store(&g->members[i], NULL);
	atomic_store(&g->idle_mask, 0);
	atomic_store(&g->spin_mask, 0);
}

static uint32_t clamp_budget(uint64_t ns)
{
	return ns < SPIN_MIN_NS ? SPIN_MIN_NS : ns > SPIN_MAX_NS ? SPIN_MAX_NS : (uint32_t)ns;
}

static uint32_t budget_of(struct waiter *w)
{
	uint32_t budget = atomic_load_explicit(&w->spin_budget, memory_order_relaxed);
	return budget ? budget : SPIN_MAX_NS;
}

/* Spin until READY or BUDGET ns have passed since START (TSC). */
static bool spin(wait_ready_fn ready, void *ctx, uint64_t start, uint32_t budget)
{
	uint64_t end = start + (uint64_t)(budget * tsc_per_ns);
	do {
		for (int i = 0; i < 16; i++) {
			if (ready(ctx))
				return true;
			__builtin_ia32_pause();
		}
	} while (__builtin_ia32_rdtsc() < end);
	return false;
}

/* A wait that spun BUDGET ns and then slept, START..now in all: learn. */
static void learn_from_sleep(struct waiter *w, uint64_t start, uint32_t budget)
{
	uint64_t waited = (uint64_t)((double)(__builtin_ia32_rdtsc() - start) / tsc_per_ns);
	uint32_t next = waited <= SPIN_MAX_NS ? clamp_budget(2 * waited) : clamp_budget(budget / 2);
	atomic_store_explicit(&w->spin_budget, next, memory_order_relaxed);
}

static bool sleep_until(struct waiter *w, wait_ready_fn ready, void *ctx,
			struct wake_group *serve, const struct timespec *deadline);

bool wait_until(struct waiter *w, wait_ready_fn ready, void *ctx,
		struct wake_group *serve, const struct timespec *deadline)
{
	if (ready(ctx))
		return true;
	bool spins = can_spin();
	uint64_t start = spins ? __builtin_ia32_rdtsc() : 0;
	uint32_t budget = budget_of(w);
	if (spins) {
		uint64_t bit = 1ull << w->index;
		if (serve)
			atomic_fetch_or(&serve->spin_mask, bit);
		bool got = spin(ready, ctx, start, budget);
		/* Claimed by new work just as the spin ran out: that work is
		 * ours (its pusher woke no one else), so look once more rather
		 * than go idle, where a second pusher would claim us again. */
		if (serve && !(atomic_fetch_and(&serve->spin_mask, ~bit) & bit) && !got)
			got = ready(ctx);
		if (got) {
			atomic_store_explicit(&w->spin_budget, clamp_budget(2ull * budget),
					      memory_order_relaxed);
			return true;
		}
	}
	bool ok = sleep_until(w, ready, ctx, serve, deadline);
	if (spins)
		learn_from_sleep(w, start, budget);
	return ok;
}

/* The futex half of wait_until. */
static bool sleep_until(struct waiter *w, wait_ready_fn ready, void *ctx,
			struct wake_group *serve, const struct timespec *deadline)
{
	uint64_t bit = 1ull << w->index;
	for (;;) {
		atomic_store(&w->sleeping, 1);
		if (serve)
			atomic_fetch_or(&serve->idle_mask, bit);
		uint32_t seen = atomic_load(&w->wake);
		bool ok = ready(ctx);
		if (!ok)
			futex_wait(&w->wake, seen, deadline);
		if (serve)
			atomic_fetch_and(&serve->idle_mask, ~bit);
		atomic_store(&w->sleeping, 0);
		if (ok || ready(ctx))
			return true;
		if (deadline && deadline_passed(deadline))
			return false;
	}
}

void waiter_notify(struct waiter *w)
{
	atomic_fetch_add(&w->wake, 1);
	if (atomic_load(&w->sleeping))
		futex_wake(&w->wake);
}

/* Take one member out of MASK (clear its bit); its index, or -1. */
static int claim_member(_Atomic uint64_t *mask)
{
	uint64_t m = atomic_load(mask);
	while (m) {
		uint64_t bit = m & -m;
		if (atomic_compare_exchange_weak(mask, &m, m & ~bit))
			return __builtin_ctzll(bit);
	}
	return -1;
}

void wake_group_notify_idle(struct wake_group *g)
{
	/* A spinning member will find the work: no syscall. But it takes one
	 * piece of work, so claim it (clear its bit): two calls queued back
	 * to back must reach two threads, not the same spinner twice while
	 * an idle member sleeps on. Else claim the idle member we wake. A
	 * member that stops spinning unclaimed rechecks before it sleeps. */
	atomic_thread_fence(memory_order_seq_cst);
	if (claim_member(&g->spin_mask) >= 0)
		return;
	int i = claim_member(&g->idle_mask);
	if (i >= 0) {
		struct waiter *w = atomic_load(&g->members[i]);
		if (w)
			waiter_notify(w);
	}
}

void wake_group_notify_all(struct wake_group *g)
{
	for (unsigned i = 0; i < LIMIT_PROCESS_THREADS; i++) {
		struct waiter *w = atomic_load(&g->members[i]);
		if (w)
			waiter_notify(w);
	}
}

struct timespec deadline_after(int64_t ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ns / 1000000000;
	ts.tv_nsec += ns % 1000000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

bool deadline_passed(const struct timespec *d)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->tv_sec ||
	       (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}
