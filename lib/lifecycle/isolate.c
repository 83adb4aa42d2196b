/* Isolated processes (PF_ISOLATE_SPACE): each runs in an OS process of its
 * own, forked by the helper (proc/helper.h) from the program as it was at
 * pf_init. Calls cross in both directions through the shared kernel state
 * as they do between any two processes; memory behind a pointer does not.
 *
 * Starting: pf_process_create asks the helper for the OS process and waits
 * on the process's `started` semaphore. There the isolated process's first
 * thread runs init; then its other threads start, as in the program.
 *
 * Ending: however the OS process ends — its own clean stop, a crash inside
 * it (the crash handler kills the whole OS process: sched has nothing to
 * unwind to), abort(), _exit(), kill -9 — the helper reaps it and tells the
 * program, whose watcher thread does what the dead threads cannot:
 *   - its threads' half-made queue pushes are finished;
 *   - its queue is drained and those calls fail with -EOWNERDEAD;
 *   - the calls its threads were serving are answered with -EOWNERDEAD,
 *     and the exports they were running are freed;
 *   - the calls they had made are given up;
 *   - its names are withdrawn, and what lived in its memory (imports,
 *     handles, per-caller variables, uncollected tickets) is forgotten;
 *   - its thread records go back to the shared pool;
 *   - the watchers are told (in the program, whose code and data they
 *     are), and with PF_RESTART_ALWAYS a fresh OS process runs init again:
 *     nothing of the old memory is kept. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base/diag.h"
#include "base/shared.h"
#include "call/tickets.h"
#include "entry/report.h"
#include "ident/caller_data.h"
#include "ident/handles.h"
#include "ident/identity.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "lifecycle/isolate.h"
#include "lifecycle/life.h"
#include "lifecycle/servers.h"
#include "proc/helper.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "proc/wait.h"
#include "sched/complete.h"
#include "sched/queue.h"
#include "sched/vanish.h"
#include "trace/record.h"

/* ---- in the isolated process's own OS process ------------------------- */

void isolate_main(unsigned index)
{
	struct pf_process *p = process_by_index(index);
	if (!p)
		_exit(1);
	space_become_isolated(p);
	thread_space_begin(p);
	struct process_life *life = p->life;
	/* A fresh count for this incarnation: the last one's first server
	 * may have posted and started serving, and a call that crashed it
	 * ended its OS process before its main thread took the post. A post
	 * left over would let this one read init_result before init ran. */
	sem_init(&life->init_done, 1, 0);
	life->nservers = 0;
	atomic_store(&life->servers_running, 0);
	int rc = servers_start(p, 0, 1);
	if (rc)
		life->init_result = rc;
	else
		while (sem_wait(&life->init_done) != 0)
			;
	if (!life->init_result)   /* running: server_main said so */
		servers_start(p, 1, p->opts.threads);   /* fewer on failure */
	if (!atomic_exchange(&life->start_told, true))
		sem_post(&life->started);
	for (unsigned i = 0; i < life->nservers; i++)
		pthread_join(life->servers[i], NULL);
	_exit(0);
}

/* ---- in the program: the watcher -------------------------------------- */

static pthread_mutex_t watcher_lock = PTHREAD_MUTEX_INITIALIZER;
static bool watching;

/* Why P's OS process ended, for its callers' error messages. */
static void describe_end(const struct pf_process *p, int status, char *buf, size_t cap)
{
	if (status < 0)
		snprintf(buf, cap, "its OS process could not be started: %s", strerror(-status));
	else if (p->death_note[0])
		snprintf(buf, cap, "%s", p->death_note);
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "its OS process was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, cap, "its OS process exited with status %d", WEXITSTATUS(status));
}

/* One line, as for a crash the handler saw (which printed its own). */
static void say_died(const struct pf_process *p, pid_t pid, const char *why)
{
	if (entry_crashes_quiet() || p->death_note[0])
		return;
	char buf[256];
	struct diag d;
	diag_start(&d, buf, sizeof buf);
	diag_str(&d, "pfipc: process ");
	diag_quoted(&d, p->name);
	diag_str(&d, " (pid ");
	diag_dec(&d, pid);
	diag_str(&d, ") died: ");
	diag_str(&d, why);
	diag_str(&d, "; its callers get EOWNERDEAD");
	diag_write_stderr(&d);
}

static bool hosted(const struct pf_process *q, const struct pf_process *p, pid_t pid)
{
	return q == p || (pid > 0 && atomic_load(&q->os_pid) == pid);
}

/* Everything of every process the dead OS process ran, but the decision
 * whether P comes back. WAS[i] is the state process i had. */
static void settle(struct pf_process *p, pid_t pid, const char *why, int *was)
{
	unsigned n = process_count();
	for (unsigned i = 0; i < n; i++) {
		struct pf_process *q = process_by_index(i);
		if (q && hosted(q, p, pid))
			atomic_store(&q->vanished, true);
	}
	shared_lock(&p->space_lock);
	struct pf_thread *threads = p->space_threads;
	p->space_threads = NULL;
	shared_unlock(&p->space_lock);

	for (struct pf_thread *t = threads; t; t = t->next_in_space)
		queue_repair_push(t);
	for (unsigned i = 0; i < n; i++) {
		struct pf_process *q = process_by_index(i);
		if (!q || !atomic_load(&q->vanished) || !hosted(q, p, pid))
			continue;
		struct call_msg *drained;
		was[i] = queue_vanish(q, &drained);
		msg_fail_all(drained, -EOWNERDEAD);
	}
	for (struct pf_thread *t = threads; t; t = t->next_in_space)
		vanish_answer_served(t, why);
	for (unsigned i = 0; i < n; i++) {
		struct pf_process *q = process_by_index(i);
		if (!q || !atomic_load(&q->vanished) || !hosted(q, p, pid))
			continue;
		registry_withdraw(q);
		import_table_reset(q);
		handles_drop_own(q);
		caller_data_drop_own(q);
		tickets_drop_process(q);
		wake_group_reset(&q->threads);
	}
	for (struct pf_thread *t = threads, *next; t; t = next) {
		next = t->next_in_space;
		if (vanish_give_up_calls(t))
			thread_reclaim(t);
	}
}

/* P is over for good: dead, its exit done, joiners woken. */
static void end_for_good(struct pf_process *p)
{
	struct process_life *life = p->life;
	atomic_store(&p->state, PROC_DEAD);
	identity_process_exit(p);
	if (!atomic_exchange(&life->start_told, true)) {
		if (!life->init_result)
			life->init_result = -EOWNERDEAD;
		sem_post(&life->started);
	}
	atomic_store(&life->ended, 1);
	futex_wake_all_word(&life->ended);
}

/* P crashed: a fresh OS process runs its init. False if it cannot be
 * started, or P was stopped meanwhile (as a restart in place: a stop that
 * finds a process crashed leaves it so, and the restart goes on). */
static bool restart(struct pf_process *p)
{
	struct process_life *life = p->life;
	life->init = life->restart_init;
	life->init_arg = life->restart_arg;
	atomic_store(&p->os_pid, 0);
	p->death_note[0] = '\0';
	atomic_store(&p->vanished, false);
	int crashed = PROC_CRASHED;
	if (!atomic_compare_exchange_strong(&p->state, &crashed, PROC_STARTING))
		return false;
	if (helper_spawn(p->index) == 0)
		return true;
	atomic_store(&p->state, PROC_CRASHED);
	return false;
}

/* Tell, and decide, for one hosted process Q (not P) that was in state
 * WAS: it ends with the OS process it ran in. */
static void end_hosted(struct pf_process *q, int was)
{
	bool crashed = was == PROC_STARTING || was == PROC_RUNNING;
	atomic_store(&q->state, PROC_DEAD);
	identity_process_exit(q);
	if (was == PROC_DEAD)
		return;
	int why = crashed ? PF_DIED_CRASHED : PF_DIED_STOPPED;
	trace_process_died(q, why);
	process_tell_watchers(q, why);
}

static void ended(struct pf_process *p, int status)
{
	static int was[LIMIT_PROCESSES];
	pid_t pid = atomic_load(&p->os_pid);
	char why[96];
	describe_end(p, status, why, sizeof why);
	unsigned n = process_count();
	for (unsigned i = 0; i < n; i++)
		was[i] = PROC_DEAD;
	settle(p, pid, why, was);
	for (unsigned i = 0; i < n; i++) {
		struct pf_process *q = process_by_index(i);
		if (q && q != p && atomic_load(&q->vanished) && hosted(q, p, pid))
			end_hosted(q, was[i]);
	}
	int before = was[p->index];
	/* It stopped and ended itself (DEAD), or ended while stopping: as in
	 * one address space, a stop is what its watchers hear. */
	if (before == PROC_DEAD || before == PROC_STOPPING) {
		trace_process_died(p, PF_DIED_STOPPED);
		process_tell_watchers(p, PF_DIED_STOPPED);
		end_for_good(p);
		return;
	}
	/* It died unexpectedly: a crash. Starting, its init did not finish:
	 * a first start fails, and a restart is not tried again. */
	if (status >= 0)
		say_died(p, pid, why);
	trace_process_died(p, PF_DIED_CRASHED);
	process_tell_watchers(p, PF_DIED_CRASHED);
	bool told = atomic_load(&p->life->start_told);
	if (status < 0 && !told)
		p->life->init_result = status;
	if (before == PROC_RUNNING && p->opts.restart == PF_RESTART_ALWAYS && restart(p))
		return;
	end_for_good(p);
}

static void *watch(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned index;
		int status;
		if (helper_next_end(&index, &status) != 0)
			break;
		struct pf_process *p = process_by_index(index);
		if (p && p->opts.isolation == PF_ISOLATE_SPACE)
			ended(p, status);
	}
	/* The helper is gone, and every isolated process with it (they die
	 * with it): settle them all. */
	unsigned n = process_count();
	for (unsigned i = 0; i < n; i++) {
		struct pf_process *p = process_by_index(i);
		if (p && p->opts.isolation == PF_ISOLATE_SPACE && !atomic_load(&p->life->ended))
			ended(p, SIGKILL);   /* a wait status: killed by SIGKILL */
	}
	return NULL;
}

/* The watcher runs in the OS process that has the helper's reports: the
 * program (or a child it forked, which has a helper of its own). */
static int watcher_ensure(void)
{
	pthread_mutex_lock(&watcher_lock);
	int rc = 0;
	if (!watching) {
		pthread_t th;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		/* Every signal stays with the program's own threads. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		rc = pthread_create(&th, &a, watch, NULL) ? -EAGAIN : 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&a);
		watching = rc == 0;
	}
	pthread_mutex_unlock(&watcher_lock);
	return rc;
}

void isolate_forked(void)
{
	pthread_mutex_init(&watcher_lock, NULL);
	watching = false;
}

/* ---- the API's side ---------------------------------------------------- */

int isolate_create(struct pf_process *p)
{
	struct process_life *life = p->life;
	atomic_store(&p->os_pid, 0);   /* until its OS process says */
	int rc = helper_available() ? 0 : -ECHILD;
	if (!rc && !space_isolated_self())
		rc = watcher_ensure();
	if (!rc)
		rc = helper_spawn(p->index);
	if (rc) {
		atomic_store(&p->state, PROC_DEAD);
		atomic_store(&life->ended, 1);
		return rc;
	}
	while (sem_wait(&life->started) != 0)
		;
	if (life->init_result) {
		isolate_join(p);
		return life->init_result;
	}
	return 0;
}

void isolate_join(struct pf_process *p)
{
	struct process_life *life = p->life;
	while (!atomic_load(&life->ended))
		futex_wait_word(&life->ended, 0);
}
