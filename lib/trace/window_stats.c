#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include "base/window_io.h"
#include "ident/registry.h"
#include "pf_limits.h"
#include "pfipc.h"
#include "trace/flags.h"
#include "trace/window_stats.h"

struct window_counts {
	const struct export_entry *_Atomic e;   /* set by its first count */
	_Atomic uint64_t instructions, reads, writes, updates, posted;
	_Atomic uint64_t read_bytes, written_bytes, failed;
	_Atomic uint64_t by_width[6];
};

/* Mapped at the first count, as the export table is; only the pages of
 * windows that are used get committed. */
static struct window_counts *_Atomic table;

static struct window_counts *counts_of(const struct export_entry *e)
{
	if (!e || !(atomic_load_explicit(&trace_flags, memory_order_relaxed) & TRACE_STATS))
		return NULL;
	struct window_counts *all = atomic_load_explicit(&table, memory_order_acquire);
	if (!all) {
		size_t size = LIMIT_EXPORT_NAMES * sizeof *all;
		void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED)
			return NULL;
		struct window_counts *none = NULL;
		if (atomic_compare_exchange_strong(&table, &none, mem))
			all = mem;
		else {
			munmap(mem, size);   /* another thread's won */
			all = none;
		}
	}
	struct window_counts *c = &all[registry_index(e)];
	if (!atomic_load_explicit(&c->e, memory_order_relaxed))
		atomic_store_explicit(&c->e, e, memory_order_release);
	return c;
}

static void add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static unsigned width_index(unsigned width)
{
	unsigned i = 0;
	while (i < 5 && (1u << i) < width)
		i++;
	return i;
}

void window_stats_access(const struct export_entry *e, unsigned op, unsigned width,
			 bool posted, int err)
{
	struct window_counts *c = counts_of(e);
	if (!c)
		return;
	add(op == WINDOW_READ ? &c->reads : op == WINDOW_WRITE ? &c->writes : &c->updates, 1);
	add(&c->by_width[width_index(width)], 1);
	if (posted)
		add(&c->posted, 1);
	if (err) {
		add(&c->failed, 1);
		return;
	}
	if (op != WINDOW_WRITE)
		add(&c->read_bytes, width);
	if (op != WINDOW_READ)
		add(&c->written_bytes, width);
}

void window_stats_instruction(const struct export_entry *e)
{
	struct window_counts *c = counts_of(e);
	if (c)
		add(&c->instructions, 1);
}

static uint64_t get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

int pf_stats_get_window(const char *name, pf_window_stats *out)
{
	if (!name || !out)
		return -EINVAL;
	struct window_counts *all = atomic_load_explicit(&table, memory_order_acquire);
	struct export_entry *e = all ? registry_lookup(name, false) : NULL;
	struct window_counts *c = e ? &all[registry_index(e)] : NULL;
	if (!c || !atomic_load(&c->e))
		return -ENOENT;
	memset(out, 0, sizeof *out);
	size_t n = strnlen(e->name, sizeof out->name - 1);
	memcpy(out->name, e->name, n);
	out->instructions = get(&c->instructions);
	out->reads = get(&c->reads);
	out->writes = get(&c->writes);
	out->updates = get(&c->updates);
	out->posted = get(&c->posted);
	out->read_bytes = get(&c->read_bytes);
	out->written_bytes = get(&c->written_bytes);
	out->failed = get(&c->failed);
	for (unsigned i = 0; i < 6; i++)
		out->by_width[i] = get(&c->by_width[i]);
	return 0;
}

const char *window_stats_next(unsigned *cursor)
{
	struct window_counts *all = atomic_load_explicit(&table, memory_order_acquire);
	for (; all && *cursor < LIMIT_EXPORT_NAMES; (*cursor)++) {
		const struct export_entry *e = atomic_load_explicit(&all[*cursor].e, memory_order_acquire);
		if (e) {
			(*cursor)++;
			return e->name;
		}
	}
	return NULL;
}

void window_stats_reset(void)
{
	struct window_counts *all = atomic_load_explicit(&table, memory_order_acquire);
	for (unsigned i = 0; all && i < LIMIT_EXPORT_NAMES; i++) {
		if (!atomic_load_explicit(&all[i].e, memory_order_relaxed))
			continue;
		_Atomic uint64_t *v = &all[i].instructions;
		size_t n = (sizeof all[i] - offsetof(struct window_counts, instructions)) / sizeof *v;
		for (size_t k = 0; k < n; k++)
			atomic_store_explicit(&v[k], 0, memory_order_relaxed);
	}
}
