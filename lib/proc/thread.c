#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc/thread.h"

__thread struct pf_thread *pf_current __attribute__((tls_model("initial-exec")));

/* Records are recycled, never freed: a thread that completes a call may
 * still be notifying its caller's record a moment after the caller left,
 * and a recycled record only sees a harmless spurious wake-up. The entry
 * layer's state stays with the record. */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pf_thread *spare;

static void thread_recycle(struct pf_thread *t)
{
	t->proc = t->self = NULL;
	pthread_mutex_lock(&spare_lock);
	t->next_spare = spare;
	spare = t;
	pthread_mutex_unlock(&spare_lock);
}

static struct pf_thread *record_take(void)
{
	pthread_mutex_lock(&spare_lock);
	struct pf_thread *t = spare;
	if (t)
		spare = t->next_spare;
	pthread_mutex_unlock(&spare_lock);
	if (t)
		return t;
	size_t size = (sizeof *t + 63) & ~(size_t)63;
	if (!(t = aligned_alloc(64, size)))   /* its layout is by cache line */
		return NULL;
	memset(t, 0, sizeof *t);
	return t;
}

/* The range the calling thread may use as stack: above the guard
 * pages (glibc's reported range may or may not include them: assuming it
 * does costs at most the guard's size of usable stack). */
static void find_stack(struct pf_thread *t)
{
	pthread_attr_t a;
	void *addr;
	size_t size, guard = 0;
	t->stack_lo = t->stack_hi = 0;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &addr, &size) == 0) {
		pthread_attr_getguardsize(&a, &guard);
		t->stack_lo = (uintptr_t)addr + guard;
		t->stack_hi = (uintptr_t)addr + size;
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
