/* The call queue on its own: what a poller sees while one thread pushes
 * and another takes.
 *
 * A consumer that takes the last call links the queue's stub in behind it;
 * a call pushed between its look at the head and that link ends up before
 * the stub. A look that asked only "is the stub the head?" then said
 * empty with a call queued, and the threads that would serve it slept on
 * (a pool's two threads both asleep, its caller waiting for ever). The
 * window is a few instructions wide: the test pushes and takes calls two
 * at a time for a while, checking after every take that calls known to be
 * linked are seen as pending. Links the static library: the queue is
 * internal. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include "../common.h"
#include "base/msg.h"
#include "sched/queue.h"

#define RING 4          /* messages reused in turn */
#define IN_FLIGHT 2     /* pushed and not yet taken, at most */
#define RUN_NS 2000000000LL

static struct call_msg ring[RING];
static atomic_long linked;   /* pushes that have returned */
static atomic_long taken;    /* calls the consumer is done with */
static atomic_bool stop;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *producer(void *arg)
{
	struct pf_process *p = arg;
	for (long i = 0; !atomic_load(&stop); i++) {
		while (i - atomic_load(&taken) >= IN_FLIGHT)
			if (atomic_load(&stop))
				return NULL;
		struct call_msg *m = &ring[i % RING];
		m->ticket = (uint64_t)i;
		m->flags = PF_EXPORT_REENTRANT;   /* no turns: taken as pushed */
		if (queue_push(p, m) != 0)
			return NULL;
		atomic_store(&linked, i + 1);
	}
	return NULL;
}

static void linked_calls_are_pending_while_the_last_is_taken(void **state)
{
	(void)state;
	struct pf_process *self = pf_self();
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, producer, self), 0);
	long misses = 0, out_of_order = 0;
	int64_t end = now_ns() + RUN_NS;
	long got = 0;
	while (now_ns() < end) {
		/* Read before looking: every one of these is linked now. */
		long known = atomic_load(&linked);
		if (known > got && !queue_pending(self))
			misses++;
		struct call_msg *m = queue_pop(self);
		if (!m)
			continue;
		out_of_order += m->ticket != (uint64_t)got;
		atomic_store(&taken, ++got);
	}
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	while (queue_pop(self))   /* what was left, so the process ends clean */
		;
	print_message("%ld calls taken, %ld missed\n", got, misses);
	assert_true(got > 0);
	assert_int_equal(out_of_order, 0);
	assert_int_equal(misses, 0);
}

int main(void)
{
	pf_process *self;
	if (pf_process_join_self(&self, "queue") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linked_calls_are_pending_while_the_last_is_taken),
	};
	int failed = cmocka_run_group_tests_name("queue", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
