/* Simulated processes: name, threads, FIFO call queue, import table. */
#ifndef PF_PROCESS_H
#define PF_PROCESS_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "arena.h"
#include "import.h"
#include "pfipc.h"

struct call_msg;
struct pf_thread;

#define PROCESS_NAME_MAX    32u
#define PROCESS_MAX_THREADS 64u   /* bits of idle_mask */

enum process_state {
	PROC_STARTING,  /* init is running; calls to it queue up */
	PROC_RUNNING,
	PROC_STOPPING,  /* refuses new calls, serves what is queued */
	PROC_DEAD,      /* its threads have left; exports withdrawn */
};

struct pf_process {
	char name[PROCESS_NAME_MAX];
	unsigned index;               /* its import table in the arena */
	_Atomic int state;
	pf_process_options opts;
	pf_init_fn init;
	void *init_arg;
	int init_result;
	sem_t init_done;

	/* The call queue: FIFO, under `lock` (normal context only). */
	pthread_mutex_t lock;
	struct call_msg *head, *tail;
	_Atomic unsigned queued;

	/* Its threads, by index; idle ones have their bit set in idle_mask. */
	struct pf_thread *_Atomic threads[PROCESS_MAX_THREADS];
	_Atomic uint64_t idle_mask;
	unsigned nservers;            /* threads pf_process_create started */
	pthread_t servers[PROCESS_MAX_THREADS];
	_Atomic unsigned servers_running;
	bool joined;

	pthread_mutex_t imports_lock;
	struct pf_import imports[ARENA_MAX_IMPORTS];
};

/* The process whose import table has index I, or NULL. Handler-safe. */
struct pf_process *process_by_index(unsigned i);
bool process_is_alive(const struct pf_process *p);

/* Queue M on P. -ESRCH if P no longer takes calls. */
int process_enqueue(struct pf_process *p, struct call_msg *m);
/* The oldest queued call, or NULL. */
struct call_msg *process_dequeue(struct pf_process *p);

/* Make T one of P's threads (index, idle bit). -ENOSPC when full. */
int process_add_thread(struct pf_process *p, struct pf_thread *t);
void process_remove_thread(struct pf_process *p, struct pf_thread *t);

#endif
