/* Simulated processes: name, threads, FIFO call queue, import table. */
#ifndef PF_PROCESS_H
#define PF_PROCESS_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/arena.h"
#include "ident/import.h"
#include "pfipc.h"

struct call_msg;
struct export_entry;
struct pf_thread;

#define PROCESS_NAME_MAX    32u
#define PROCESS_MAX_THREADS 64u   /* bits of idle_mask */

enum process_state {
	PROC_STARTING,  /* init is running; calls to it queue up */
	PROC_RUNNING,
	PROC_STOPPING,  /* refuses new calls, serves what is queued */
	PROC_CRASHED,   /* an export faulted; waiting to restart or die */
	PROC_DEAD,      /* its threads have left; exports withdrawn */
};

#define PROCESS_MAX_WATCHERS 16u

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
	/* Calls of a busy non-reentrant export wait here, in arrival order,
	 * for its running call to pass the turn on. */
	struct call_msg *parked_head, *parked_tail;

	/* Its threads, by index; idle ones have their bit set in idle_mask. */
	struct pf_thread *_Atomic threads[PROCESS_MAX_THREADS];
	_Atomic uint64_t idle_mask;
	_Atomic unsigned spinning;    /* threads polling for work right now:
					 a queued call needs no wake-up */
	unsigned nservers;            /* threads pf_process_create started */
	pthread_t servers[PROCESS_MAX_THREADS];
	_Atomic unsigned servers_running;
	pthread_mutex_t join_lock;
	bool joined;                  /* its servers have been joined */

	_Atomic unsigned crashes;
	_Atomic bool died_crashed;    /* its last end was a crash */
	pf_init_fn restart_init;      /* init and arg kept for restarts */
	void *restart_arg;
	struct {
		pf_death_fn fn;
		void *arg;
	} watchers[PROCESS_MAX_WATCHERS];
	unsigned nwatchers;

	pthread_mutex_t imports_lock;
	struct pf_import imports[ARENA_MAX_IMPORTS];
};

/* The process whose import table has index I, or NULL. Handler-safe. */
struct pf_process *process_by_index(unsigned i);
bool process_is_alive(const struct pf_process *p);

/* Queue M on P. -ESRCH if P no longer takes calls (-EOWNERDEAD if it
 * crashed). */
int process_enqueue(struct pf_process *p, struct call_msg *m);
/* The oldest queued call, or NULL. */
struct call_msg *process_dequeue(struct pf_process *p);
/* Take M off P's queue if it is still there. */
bool process_cancel(struct pf_process *p, struct call_msg *m);
/* M, which had its export's turn, is done: the next parked call of the
 * same export (now holding the turn), or NULL. */
struct call_msg *process_pass_turn(struct pf_process *p, struct export_entry *e);

/* An export of P faulted (called on the thread that recovered): fail what
 * is queued, withdraw the exports, tell the watchers; the serve loop then
 * restarts P or lets it die. */
void process_crashed(struct pf_process *p);
/* P crashed and is not (yet) serving again. */
bool process_crashed_last(const struct pf_process *p);

/* Empty P's queue and parked calls into one list (P's lock held). */
struct call_msg *process_take_all_locked(struct pf_process *p);

/* Wake every thread of P (an async result may be awaited on any). */
void process_notify_all(struct pf_process *p);

/* Make T one of P's threads (index, idle bit). -ENOSPC when full. */
int process_add_thread(struct pf_process *p, struct pf_thread *t);
void process_remove_thread(struct pf_process *p, struct pf_thread *t);

#endif
