#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "entry/decode.h"
#include "entry/sud.h"
#include "entry/thread.h"
#include "pf_limits.h"
#include "proc/thread.h"

struct entry_thread {
	struct decoder *dec;
	stack_t altstack;
};

static struct decoder *spare_decoder;
static atomic_flag spare_taken = ATOMIC_FLAG_INIT;

static struct entry_thread *state_new(void)
{
	struct entry_thread *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	void *mem = mmap(NULL, LIMIT_ALTSTACK_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (mem == MAP_FAILED || !(s->dec = decoder_open())) {
		if (mem != MAP_FAILED)
			munmap(mem, LIMIT_ALTSTACK_BYTES);
		free(s);
		return NULL;
	}
	s->altstack.ss_sp = mem;
	s->altstack.ss_size = LIMIT_ALTSTACK_BYTES;
	s->altstack.ss_flags = 0;
	return s;
}

int entry_thread_join(struct pf_thread *t)
{
	if (!t->entry && !(t->entry = state_new()))
		return -ENOMEM;
	if (sigaltstack(&t->entry->altstack, NULL) != 0)
		return -errno;
	return sud_thread_join();
}

void entry_thread_leave(struct pf_thread *t)
{
	(void)t;
	sud_thread_leave();
	stack_t off = { .ss_flags = SS_DISABLE };
	sigaltstack(&off, NULL);
}

struct decoder *entry_decoder(struct pf_thread *t)
{
	if (t && t->entry)
		return t->entry->dec;
	if (!atomic_flag_test_and_set(&spare_taken))
		return spare_decoder;
	return NULL;
}

int entry_spare_decoder_open(void)
{
	spare_decoder = decoder_open();
	return spare_decoder ? 0 : -ENOMEM;
}

/* initial-exec: the handler must not call into the dynamic linker. */
static __thread ucontext_t *context __attribute__((tls_model("initial-exec")));

ucontext_t *entry_context_swap(ucontext_t *uc)
{
	ucontext_t *was = context;
	context = uc;
	return was;
}

ucontext_t *entry_context(void)
{
	return context;
}
