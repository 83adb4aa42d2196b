#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "decode.h"
#include "thread.h"

__thread struct pf_thread *pf_current __attribute__((tls_model("initial-exec")));

/* Records are recycled, never freed: a thread that completes a call may
 * still be notifying its caller's record a moment after the caller left,
 * and a recycled record only sees a harmless spurious wake-up. The decoder
 * and alternate stack stay with the record. */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pf_thread *spare;

/* Big enough for the handler plus Capstone, and for a crash report after a
 * stack overflow in a simulated process. */
#define ALTSTACK_BYTES (128u * 1024u)

static int altstack_alloc(struct pf_thread *t)
{
	void *mem = mmap(NULL, ALTSTACK_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (mem == MAP_FAILED)
		return -ENOMEM;
	t->altstack.ss_sp = mem;
	t->altstack.ss_size = ALTSTACK_BYTES;
	t->altstack.ss_flags = 0;
	return 0;
}

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
	if (!(t->dec = decoder_open()) || altstack_alloc(t) != 0) {
		decoder_close(t->dec);
		free(t);
		return NULL;
	}
	return t;
}

int thread_enter(struct pf_process *p, enum thread_role role,
		 struct pf_thread **out)
{
	if (pf_current)
		return -EBUSY;
	struct pf_thread *t = record_take();
	if (!t)
		return -ENOMEM;
	if (sigaltstack(&t->altstack, NULL) != 0) {
		int rc = -errno;
		thread_recycle(t);
		return rc;
	}
	t->depth = 0;
	for (unsigned i = 0; i < THREAD_MAX_DEPTH; i++)
		if (!t->slot[i])
			t->slot[i] = &t->storage[i];
	t->waiting_on = NULL;
	t->serving = NULL;
	t->err = 0;
	t->errmsg[0] = '\0';
	t->caller_proc = NULL;
	t->proc = t->self = p;
	t->role = role;
	t->tid = gettid();
	t->spin_budget = 0;   /* wait.c starts it at its maximum */
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
	stack_t off = { .ss_flags = SS_DISABLE };
	sigaltstack(&off, NULL);
	pf_current = NULL;
	thread_recycle(t);
}

void thread_set_message(struct pf_thread *t, const char *msg)
{
	size_t n = strnlen(msg, sizeof t->errmsg - 1);
	memcpy(t->errmsg, msg, n);
	t->errmsg[n] = '\0';
}
