#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include "ident/registry.h"
#include "pf_limits.h"
#include "pfipc.h"
#include "trace/clock.h"
#include "trace/flags.h"
#include "trace/stats.h"
#include "trace/window_stats.h"

struct counts {
	_Atomic uint64_t calls, errors, served, queued;
	_Atomic uint64_t queued_total_ns, served_total_ns;
	_Atomic uint64_t by_errno[PF_STATS_ERRNOS];
	_Atomic uint64_t queued_ns[PF_STATS_BUCKETS], served_ns[PF_STATS_BUCKETS];
};

struct export_counts {
	const struct export_entry *_Atomic e;   /* set by its first count */
	struct counts c;
};

struct entry_counts {
	const char *_Atomic via;                /* claimed by its first count */
	struct counts c;
};

static struct export_counts *_Atomic by_export;   /* LIMIT_EXPORT_NAMES */
static struct entry_counts by_entry[LIMIT_STATS_ENTRIES];

static void add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static unsigned bucket_of(uint64_t ns)
{
	unsigned b = ns < 2 ? 0 : 63u - (unsigned)__builtin_clzll(ns);
	return b < PF_STATS_BUCKETS ? b : PF_STATS_BUCKETS - 1;
}

static struct counts *export_counts(const struct export_entry *e)
{
	struct export_counts *all = atomic_load_explicit(&by_export, memory_order_acquire);
	if (!all || !e)
		return NULL;
	struct export_counts *x = &all[registry_index(e)];
	if (!atomic_load_explicit(&x->e, memory_order_relaxed))
		atomic_store_explicit(&x->e, e, memory_order_release);
	return &x->c;
}

/* The counters of entry VIA; the first count of a new label claims a slot.
 * Labels are static strings: the same pointer, almost always. */
static struct counts *entry_counts(const char *via)
{
	if (!via)
		return NULL;
	for (unsigned i = 0; i < LIMIT_STATS_ENTRIES; i++) {
		struct entry_counts *x = &by_entry[i];
		const char *have = atomic_load_explicit(&x->via, memory_order_acquire);
		if (!have && atomic_compare_exchange_strong(&x->via, &have, via))
			return &x->c;
		if (have == via || strcmp(have, via) == 0)
			return &x->c;
	}
	return NULL;
}

static void count_outcome(struct counts *c, int err)
{
	if (!c)
		return;
	add(&c->calls, 1);
	if (!err)
		return;
	add(&c->errors, 1);
	unsigned code = err < 0 && -err < (int)PF_STATS_ERRNOS ? (unsigned)-err : 0;
	add(&c->by_errno[code], 1);
}

static void count_served(struct counts *c, bool queued, uint64_t queued_ns, uint64_t served_ns)
{
	if (!c)
		return;
	add(&c->served, 1);
	add(&c->served_total_ns, served_ns);
	add(&c->served_ns[bucket_of(served_ns)], 1);
	if (!queued)
		return;
	add(&c->queued, 1);
	add(&c->queued_total_ns, queued_ns);
	add(&c->queued_ns[bucket_of(queued_ns)], 1);
}

void stats_outcome(const struct export_entry *e, const char *via, int err)
{
	count_outcome(export_counts(e), err);
	count_outcome(entry_counts(via), err);
}

void stats_served(const struct export_entry *e, const char *via, bool queued,
		  uint64_t queued_ticks, uint64_t served_ticks)
{
	double rate = trace_clock_ns_per_tick();
	uint64_t q = (uint64_t)((double)queued_ticks * rate);
	uint64_t s = (uint64_t)((double)served_ticks * rate);
	count_served(export_counts(e), queued, q, s);
	count_served(entry_counts(via), queued, q, s);
}

/* ---- reading ------------------------------------------------------------ */

/* The upper end of the bucket holding the PCT-th percentile of N counts:
 * the bucket of the count ranked ceil(N * PCT / 100). */
static uint64_t percentile(const uint64_t *hist, uint64_t n, unsigned pct)
{
	if (!n)
		return 0;
	uint64_t want = (n * pct + 99) / 100, seen = 0;
	for (unsigned b = 0; b < PF_STATS_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= want)
			return (uint64_t)1 << (b + 1);
	}
	return (uint64_t)1 << PF_STATS_BUCKETS;
}

static uint64_t hist_sum(const uint64_t *hist)
{
	uint64_t n = 0;
	for (unsigned b = 0; b < PF_STATS_BUCKETS; b++)
		n += hist[b];
	return n;
}

static void read_counts(const struct counts *c, const char *name, pf_stats *out)
{
	memset(out, 0, sizeof *out);
	strncpy(out->name, name, sizeof out->name - 1);
	out->calls = atomic_load_explicit(&c->calls, memory_order_relaxed);
	out->errors = atomic_load_explicit(&c->errors, memory_order_relaxed);
	out->served = atomic_load_explicit(&c->served, memory_order_relaxed);
	out->queued = atomic_load_explicit(&c->queued, memory_order_relaxed);
	out->queued_total_ns = atomic_load_explicit(&c->queued_total_ns, memory_order_relaxed);
	out->served_total_ns = atomic_load_explicit(&c->served_total_ns, memory_order_relaxed);
	for (unsigned i = 0; i < PF_STATS_ERRNOS; i++)
		out->by_errno[i] = atomic_load_explicit(&c->by_errno[i], memory_order_relaxed);
	for (unsigned b = 0; b < PF_STATS_BUCKETS; b++) {
		out->queued_ns[b] = atomic_load_explicit(&c->queued_ns[b], memory_order_relaxed);
		out->served_ns[b] = atomic_load_explicit(&c->served_ns[b], memory_order_relaxed);
	}
	/* From the histograms themselves, so that the percentiles agree
	 * with the buckets a reader sees even while counts move. */
	uint64_t nq = hist_sum(out->queued_ns), ns = hist_sum(out->served_ns);
	out->queued_p50_ns = percentile(out->queued_ns, nq, 50);
	out->queued_p99_ns = percentile(out->queued_ns, nq, 99);
	out->served_p50_ns = percentile(out->served_ns, ns, 50);
	out->served_p99_ns = percentile(out->served_ns, ns, 99);
}

static bool has_counts(const struct counts *c)
{
	return atomic_load_explicit(&c->calls, memory_order_relaxed) ||
	       atomic_load_explicit(&c->served, memory_order_relaxed);
}

int pf_stats_enable(int on)
{
	if (on && !atomic_load(&by_export)) {
		trace_clock_init();
		size_t size = LIMIT_EXPORT_NAMES * sizeof(struct export_counts);
		void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED)
			return -ENOMEM;
		struct export_counts *none = NULL;
		if (!atomic_compare_exchange_strong(&by_export, &none, mem))
			munmap(mem, size);   /* another thread's won */
	}
	if (on)
		atomic_fetch_or(&trace_flags, TRACE_STATS);
	else
		atomic_fetch_and(&trace_flags, ~TRACE_STATS);
	return 0;
}

int pf_stats_get(const char *name, pf_stats *out)
{
	if (!name || !out)
		return -EINVAL;
	struct export_counts *all = atomic_load_explicit(&by_export, memory_order_acquire);
	struct export_entry *e = all ? registry_lookup(name, false) : NULL;
	if (!e || !has_counts(&all[registry_index(e)].c))
		return -ENOENT;
	read_counts(&all[registry_index(e)].c, e->name, out);
	return 0;
}

int pf_stats_get_entry(const char *entry, pf_stats *out)
{
	if (!entry || !out)
		return -EINVAL;
	for (unsigned i = 0; i < LIMIT_STATS_ENTRIES; i++) {
		const char *via = atomic_load_explicit(&by_entry[i].via, memory_order_acquire);
		if (via && strcmp(via, entry) == 0 && has_counts(&by_entry[i].c)) {
			read_counts(&by_entry[i].c, via, out);
			return 0;
		}
	}
	return -ENOENT;
}

int pf_stats_next(unsigned *cursor, pf_stats *out)
{
	if (!cursor || !out)
		return -EINVAL;
	struct export_counts *all = atomic_load_explicit(&by_export, memory_order_acquire);
	for (; all && *cursor < LIMIT_EXPORT_NAMES; (*cursor)++) {
		struct export_counts *x = &all[*cursor];
		const struct export_entry *e = atomic_load_explicit(&x->e, memory_order_acquire);
		if (e && has_counts(&x->c)) {
			read_counts(&x->c, e->name, out);
			(*cursor)++;
			return 0;
		}
	}
	return -ENOENT;
}

const char *stats_entry_label(unsigned i)
{
	return i < LIMIT_STATS_ENTRIES
		? atomic_load_explicit(&by_entry[i].via, memory_order_acquire) : NULL;
}

static void zero(struct counts *c)
{
	_Atomic uint64_t *v = (_Atomic uint64_t *)c;
	for (size_t i = 0; i < sizeof *c / sizeof *v; i++)
		atomic_store_explicit(&v[i], 0, memory_order_relaxed);
}

int pf_stats_reset(void)
{
	struct export_counts *all = atomic_load_explicit(&by_export, memory_order_acquire);
	for (unsigned i = 0; all && i < LIMIT_EXPORT_NAMES; i++)
		if (atomic_load_explicit(&all[i].e, memory_order_relaxed))
			zero(&all[i].c);
	for (unsigned i = 0; i < LIMIT_STATS_ENTRIES; i++)
		zero(&by_entry[i].c);
	window_stats_reset();
	return 0;
}
