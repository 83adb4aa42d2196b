#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/shared.h"
#include "pf_limits.h"
#include "proc/process.h"
#include "proc/thread.h"

__thread struct pf_thread *pf_current __attribute__((tls_model("initial-exec")));

/* Records are recycled, never freed: a thread that completes a call may
 * still be notifying its caller's record a moment after the caller left,
 * and a recycled record only sees a harmless spurious wake-up. They live
 * in shared memory (other OS processes complete calls into their
 * messages and wake them).
 *
 * A record's entry state (decoder, alternate stack) belongs to the OS
 * process that made it, so each OS process keeps its spare records on a
 * list of its own; records whose OS process ended go to a shared pool,
 * without their entry state, for any OS process to take. */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pf_thread *spare;

struct orphan_pool {
	pthread_mutex_t lock;
	struct pf_thread *head;
};

static struct orphan_pool *orphans;
static struct pf_process *space_root;   /* set in an isolated OS process */

int thread_pool_init(void)
{
	if (!(orphans = shared_alloc(sizeof *orphans)))
		return -ENOMEM;
	shared_lock_init(&orphans->lock);
	return 0;
}

void thread_space_begin(struct pf_process *root)
{
	spare = NULL;   /* the program's, as it was at pf_init: not ours */
	pthread_mutex_init(&spare_lock, NULL);
	space_root = root;
}

static void thread_recycle(struct pf_thread *t)
{
	t->proc = t->self = NULL;
	pthread_mutex_lock(&spare_lock);
	t->next_spare = spare;
	spare = t;
	pthread_mutex_unlock(&spare_lock);
}

void thread_reclaim(struct pf_thread *t)
{
	t->proc = t->self = NULL;
	t->entry = NULL;
	shared_lock(&orphans->lock);
	t->next_spare = orphans->head;
	orphans->head = t;
	shared_unlock(&orphans->lock);
}

/* A record this OS process has not used before: an orphan, or a new one. */
static struct pf_thread *record_new(void)
{
	shared_lock(&orphans->lock);
	struct pf_thread *t = orphans->head;
	if (t)
		orphans->head = t->next_spare;
	shared_unlock(&orphans->lock);
	if (!t)
		t = shared_alloc(sizeof *t);   /* 64-byte aligned, zeroed */
	if (t && space_root) {
		shared_lock(&space_root->space_lock);
		t->next_in_space = space_root->space_threads;
		space_root->space_threads = t;
		shared_unlock(&space_root->space_lock);
	}
	return t;
}

static struct pf_thread *record_take(void)
{
	pthread_mutex_lock(&spare_lock);
	struct pf_thread *t = spare;
	if (t)
		spare = t->next_spare;
	pthread_mutex_unlock(&spare_lock);
	return t ? t : record_new();
}

/* The range the calling thread may use as stack: above the guard
 * pages (glibc's reported range may or may not include them: assuming it
 * does costs at most the guard's size of usable stack). */
static void find_stack(struct pf_thread *t)
{
	pthread_attr_t a;
	void *addr;
	size_t size, guard = 0;
	t->stack_lo = t->stack_hi = t->stack_floor = 0;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &addr, &size) == 0) {
		pthread_attr_getguardsize(&a, &guard);
		t->stack_lo = (uintptr_t)addr + guard;
		t->stack_hi = (uintptr_t)addr + size;
		/* Below a guard lies someone else's memory (another thread's
		 * stack, a mapping of the program's). The main thread has no
		 * guard of glibc's, only the kernel's gap: a stack pointer
		 * that jumped a little way into it is still this stack's. */
		t->stack_floor = guard ? (uintptr_t)addr
				       : (uintptr_t)addr - LIMIT_CALL_HEADROOM;
	}
	pthread_attr_destroy(&a);
}

int thread_enter(struct pf_process *p, enum thread_role role,
		 struct pf_thread **out)
{
	if (pf_current)
		return -EBUSY;
	struct pf_thread *t = record_take();
	if (!t)
		return -ENOMEM;
	msg_stack_reset(&t->calls);
	atomic_store(&t->waiting_on, NULL);
	t->serving = NULL;
	t->claimed = NULL;
	t->nrunning = 0;
	atomic_store(&t->push.queue, NULL);
	error_clear(&t->error);
	t->caller_proc = NULL;
	t->proc = t->self = p;
	t->role = role;
	t->tid = gettid();
	find_stack(t);
	atomic_store(&t->wait.spin_budget, 0);   /* wait.c starts at its maximum */
	pf_current = t;
	if (out)
		*out = t;
	return 0;
}

void thread_leave(void)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return;
	pf_current = NULL;
	thread_recycle(t);
}

int pf_errno(void)
{
	struct pf_thread *t = pf_current;
	return t ? t->error.err : 0;
}

const char *pf_error_message(void)
{
	struct pf_thread *t = pf_current;
	return t ? t->error.text : "";
}
