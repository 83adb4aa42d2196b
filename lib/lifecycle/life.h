/* The lifecycle's part of a process, shared by its two ways of running:
 * threads of the program (life.c, servers.c) and an OS process of its own
 * (isolate.c). Kept in shared memory with the process record: an isolated
 * process's own OS process runs its init and starts its threads from it. */
#ifndef PF_LIFE_H
#define PF_LIFE_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "pf_limits.h"
#include "pfipc.h"

struct pf_process;

struct process_life {
	pf_init_fn init;              /* the next start's; NULL once it ran */
	void *init_arg;
	int init_result;
	sem_t init_done;              /* the first server ran init */
	pf_init_fn restart_init;      /* kept for restarts */
	void *restart_arg;

	/* Threads the OS process running it started (the program's, or its
	 * own when isolated): meaningful in that OS process only. */
	unsigned nservers;
	pthread_t servers[LIMIT_PROCESS_THREADS];
	_Atomic unsigned servers_running;
	pthread_mutex_t join_lock;
	bool joined;                  /* its servers have been joined */

	/* Isolated processes only. */
	sem_t started;                /* pf_process_create waits here */
	_Atomic bool start_told;      /* `started` was posted (once) */
	_Atomic uint32_t ended;       /* 1: its OS process ended and will not
					 be started again (a futex word) */
};

#endif
