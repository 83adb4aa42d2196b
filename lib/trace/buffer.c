#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pf_limits.h"
#include "trace/buffer.h"

static _Atomic(struct trace_buf *) all;
static _Atomic uint64_t epoch = 1;
static _Atomic uint32_t capacity = LIMIT_TRACE_EVENTS;

/* initial-exec, as pf_current: no call into the dynamic linker. */
static __thread struct trace_buf *mine __attribute__((tls_model("initial-exec")));

static struct trace_buf *buf_new(int role)
{
	uint32_t cap = atomic_load(&capacity);
	struct trace_buf *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	/* Reserved, not committed: a thread that records little costs
	 * little. */
	void *mem = mmap(NULL, (size_t)cap * sizeof(struct trace_rec), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		free(b);
		return NULL;
	}
	b->rec = mem;
	b->cap = cap;
	b->tid = gettid();
	b->role = role;
	atomic_store(&b->epoch, atomic_load(&epoch));
	struct trace_buf *head = atomic_load(&all);
	do
		b->next = head;
	while (!atomic_compare_exchange_weak(&all, &head, b));
	return b;
}

struct trace_buf *trace_buf_mine(int role)
{
	struct trace_buf *b = mine;
	if (!b)
		return mine = buf_new(role);
	uint64_t now = atomic_load_explicit(&epoch, memory_order_acquire);
	if (atomic_load_explicit(&b->epoch, memory_order_relaxed) != now) {
		/* Empty first, then join the new recording: a writer that
		 * sees the new epoch sees an empty buffer. */
		atomic_store_explicit(&b->count, 0, memory_order_relaxed);
		atomic_store_explicit(&b->dropped, 0, memory_order_relaxed);
		b->role = role;
		atomic_store_explicit(&b->epoch, now, memory_order_release);
	}
	return b;
}

struct trace_rec *trace_buf_reserve(struct trace_buf *b, unsigned n)
{
	uint32_t used = atomic_load_explicit(&b->count, memory_order_relaxed);
	if (n > b->cap - used) {
		atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
		return NULL;
	}
	return &b->rec[used];
}

void trace_buf_publish(struct trace_buf *b, unsigned n)
{
	uint32_t used = atomic_load_explicit(&b->count, memory_order_relaxed);
	atomic_store_explicit(&b->count, used + n, memory_order_release);
}

void trace_buf_new_epoch(uint32_t cap)
{
	atomic_store(&capacity, cap ? cap : LIMIT_TRACE_EVENTS);
	atomic_fetch_add(&epoch, 1);
}

uint64_t trace_buf_epoch(void)
{
	return atomic_load(&epoch);
}

struct trace_buf *trace_buf_list(void)
{
	return atomic_load(&all);
}
