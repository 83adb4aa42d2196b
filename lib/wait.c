/* Spin-then-futex hand-off.
 *
 * The spin budget (time) adapts per thread: a wait that ended while
 * spinning doubles it (up to SPIN_MAX_NS), one that had to sleep halves it. So a thread
 * whose partner answers within a microsecond never sleeps, and threads on an
 * oversubscribed machine quickly stop burning the cores their partners need.
 * On a single CPU spinning can only delay the partner, so it is off.
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
#include "process.h"
#include "thread.h"
#include "wait.h"

/* Spin budgets in nanoseconds. Waking a sleeping thread on another CPU
 * costs tens of microseconds on a VM, a fault a microsecond or two: a
 * partner that answers within SPIN_MAX_NS is worth spinning for. */
#define SPIN_MIN_NS 1000u
#define SPIN_MAX_NS 100000u

/* Set once by calibrate(), under pthread_once: every thread that reads
 * them has seen the one write. */
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

static void futex_wait(_Atomic uint32_t *word, uint32_t seen,
		       const struct timespec *deadline)
{
	syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, seen, deadline,
		NULL, FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static bool spin(struct pf_thread *t, wait_ready_fn ready, void *ctx)
{
	if (!can_spin())
		return false;
	unsigned budget = t->spin_budget ? t->spin_budget : SPIN_MAX_NS;
	uint64_t end = __builtin_ia32_rdtsc() + (uint64_t)(budget * tsc_per_ns);
	do {
		for (int i = 0; i < 16; i++) {
			if (ready(ctx)) {
				t->spin_budget = budget * 2 > SPIN_MAX_NS ? SPIN_MAX_NS : budget * 2;
				return true;
			}
			__builtin_ia32_pause();
		}
	} while (__builtin_ia32_rdtsc() < end);
	t->spin_budget = budget / 2 < SPIN_MIN_NS ? SPIN_MIN_NS : budget / 2;
	return false;
}

void futex_wait_word(_Atomic uint32_t *word, uint32_t seen)
{
	futex_wait(word, seen, NULL);
}

void futex_wake_word(_Atomic uint32_t *word)
{
	futex_wake(word);
}

bool wait_until(struct pf_thread *t, wait_ready_fn ready, void *ctx,
		struct pf_process *serve, const struct timespec *deadline)
{
	if (ready(ctx))
		return true;
	if (serve)
		atomic_fetch_add(&serve->spinning, 1);
	bool got = spin(t, ready, ctx);
	if (serve)
		atomic_fetch_sub(&serve->spinning, 1);
	if (got)
		return true;
	uint64_t bit = 1ull << t->index;
	for (;;) {
		atomic_store(&t->sleeping, 1);
		if (serve)
			atomic_fetch_or(&serve->idle_mask, bit);
		uint32_t seen = atomic_load(&t->wake);
		bool ok = ready(ctx);
		if (!ok)
			futex_wait(&t->wake, seen, deadline);
		if (serve)
			atomic_fetch_and(&serve->idle_mask, ~bit);
		atomic_store(&t->sleeping, 0);
		if (ok || ready(ctx))
			return true;
		if (deadline && deadline_passed(deadline))
			return false;
	}
}

void thread_notify(struct pf_thread *t)
{
	atomic_fetch_add(&t->wake, 1);
	if (atomic_load(&t->sleeping))
		futex_wake(&t->wake);
}

void process_notify_idle(struct pf_process *p)
{
	/* A thread that is spinning will find the call: no syscall. (One
	 * that stops spinning rechecks the queue before it sleeps.) Else
	 * claim the idle thread we wake (clear its bit ourselves): two calls
	 * queued back to back must wake two threads, not the same one twice. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&p->spinning))
		return;
	uint64_t idle = atomic_load(&p->idle_mask);
	while (idle) {
		uint64_t bit = idle & -idle;
		if (atomic_compare_exchange_weak(&p->idle_mask, &idle, idle & ~bit)) {
			struct pf_thread *t = atomic_load(&p->threads[__builtin_ctzll(bit)]);
			if (t)
				thread_notify(t);
			return;
		}
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
