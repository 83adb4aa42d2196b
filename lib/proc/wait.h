/* Waiting and waking between threads: spin briefly, then sleep on a futex.
 * Every thread sleeps on its own word; whoever makes its condition true
 * bumps that word and wakes it only if it is really asleep. */
#ifndef PF_WAIT_H
#define PF_WAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pf_thread;
struct pf_process;

typedef bool (*wait_ready_fn)(void *ctx);

/* Wait until READY(CTX). When SERVE is a process, the thread is marked idle
 * in it while it sleeps, so a call queued there wakes it. DEADLINE is an
 * absolute CLOCK_MONOTONIC time or NULL. Returns false on timeout. */
bool wait_until(struct pf_thread *t, wait_ready_fn ready, void *ctx,
		struct pf_process *serve, const struct timespec *deadline);

/* Tell T that what it waits for may have happened (after making it true). */
void thread_notify(struct pf_thread *t);

/* Wake one thread of P that sleeps idle, if any (after queueing a call). */
void process_notify_idle(struct pf_process *p);

/* Sleep while *WORD == SEEN (or until woken); wake one sleeper. */
void futex_wait_word(_Atomic uint32_t *word, uint32_t seen);
void futex_wake_word(_Atomic uint32_t *word);

/* NOW + NS on CLOCK_MONOTONIC. */
struct timespec deadline_after(int64_t ns);
bool deadline_passed(const struct timespec *deadline);

#endif
