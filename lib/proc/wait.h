/* Waiting and waking between threads: spin briefly, then sleep on a futex.
 * Every thread sleeps on its own word (its waiter); whoever makes its
 * condition true bumps that word and wakes it only if it is really asleep.
 * A process's threads form a wake group, so that a call queued on the
 * process wakes one idle thread, and none while one of them spins. */
#ifndef PF_WAIT_H
#define PF_WAIT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "pf_limits.h"

/* One thread's side of waiting. Laid out by writer: `wake` is bumped by
 * notifiers, on a line the waiting thread does not write while it spins. */
struct waiter {
	alignas(64) _Atomic uint32_t wake;
	_Atomic uint32_t sleeping;
	alignas(64) _Atomic uint32_t spin_budget; /* ns; adapts (wait.c) */
	unsigned index;                           /* its bit in its group */
};

/* The threads of one process. */
struct wake_group {
	struct waiter *_Atomic members[LIMIT_PROCESS_THREADS];
	_Atomic uint64_t idle_mask;   /* members asleep waiting for work */
	_Atomic unsigned spinning;    /* members polling for work right now:
					 new work needs no wake-up */
};

typedef bool (*wait_ready_fn)(void *ctx);

/* Make W a member of G (sets W->index). -ENOSPC when G is full. */
int wake_group_join(struct wake_group *g, struct waiter *w);
void wake_group_leave(struct wake_group *g, struct waiter *w);

/* Wait until READY(CTX). When SERVE is a group, the waiter counts as idle
 * (or spinning) in it meanwhile, so work for that group wakes it. DEADLINE
 * is an absolute CLOCK_MONOTONIC time or NULL. False on timeout. */
bool wait_until(struct waiter *w, wait_ready_fn ready, void *ctx,
		struct wake_group *serve, const struct timespec *deadline);

/* Tell W that what it waits for may have happened (after making it true). */
void waiter_notify(struct waiter *w);

/* New work for G: wake one idle member, unless one is spinning. */
void wake_group_notify_idle(struct wake_group *g);
/* Wake every member of G (a result any of them may be waiting for). */
void wake_group_notify_all(struct wake_group *g);

/* Sleep while *WORD == SEEN (or until woken); wake one sleeper. */
void futex_wait_word(_Atomic uint32_t *word, uint32_t seen);
void futex_wake_word(_Atomic uint32_t *word);

/* NOW + NS on CLOCK_MONOTONIC. */
struct timespec deadline_after(int64_t ns);
bool deadline_passed(const struct timespec *deadline);

#endif
