/* Simulated process records: name, state, options, threads, watchers.
 * Each layer keeps its own part of a process behind an opaque pointer:
 * the call queue (sched/queue.c), the import table (ident/import.c), the
 * lifecycle's threads and init (lifecycle/life.c). Records are never freed
 * or reused: imports and export entries point at them for the life of the
 * program. */
#ifndef PF_PROCESS_H
#define PF_PROCESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "pf_limits.h"
#include "pfipc.h"
#include "proc/wait.h"

struct import_table;
struct process_life;
struct run_queue;

enum process_state {
	PROC_STARTING,  /* init is running; calls to it queue up */
	PROC_RUNNING,
	PROC_STOPPING,  /* refuses new calls, serves what is queued */
	PROC_CRASHED,   /* an export faulted; waiting to restart or die */
	PROC_DEAD,      /* its threads have left; exports withdrawn */
};

struct pf_process {
	char name[LIMIT_PROCESS_NAME];
	unsigned index;               /* its import table in the arena */
	_Atomic int state;            /* enum process_state; changed by the
					 queue's owner (sched/queue.c) */
	pf_process_options opts;

	struct wake_group threads;    /* its threads; who is idle, who spins */
	struct run_queue *queue;
	struct import_table *imports;
	struct process_life *life;

	_Atomic unsigned crashes;
	_Atomic bool died_crashed;    /* its last end was a crash */

	pthread_mutex_t watch_lock;
	struct {
		pf_death_fn fn;
		void *arg;
	} watchers[LIMIT_WATCHERS];
	unsigned nwatchers;
};

/* A new record named NAME (validated) with OPTS (NULL: defaults) and the
 * next index, not yet findable: the caller attaches its parts, then
 * process_publish. -EINVAL, -ENOSPC (too many over the program's life) or
 * -ENOMEM. */
int process_new(const char *name, const pf_process_options *opts,
		struct pf_process **out);
void process_publish(struct pf_process *p);

/* The process whose import table has index I, or NULL. Handler-safe. */
struct pf_process *process_by_index(unsigned i);
bool process_is_alive(const struct pf_process *p);
/* P crashed and is not (yet) serving again. */
bool process_crashed_last(const struct pf_process *p);

/* Run P's death watchers with WHY (normal context). */
void process_tell_watchers(struct pf_process *p, int why);

#endif
