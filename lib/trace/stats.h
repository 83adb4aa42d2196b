/* Statistics per export and per entry mechanism: calls, errors by code,
 * and log2 histograms of the time calls spent queued and being served.
 *
 * Counters are relaxed atomics in tables of the trace layer: per export
 * indexed by registry_index (as sched/turns.c keeps turns), per entry by
 * the entry's label. The export table is mapped when statistics are first
 * enabled and only the pages of exports that are called get committed. */
#ifndef PF_TRACE_STATS_H
#define PF_TRACE_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct export_entry;

/* A call through E, which entered by VIA, ended with ERR as its caller
 * sees it (0: it succeeded). */
void stats_outcome(const struct export_entry *e, const char *via, int err);

/* A call of E ran for SERVED_TICKS of the trace clock, after QUEUED_TICKS
 * in its callee's queue (QUEUED false: it never was, as a migrating call). */
void stats_served(const struct export_entry *e, const char *via, bool queued,
		  uint64_t queued_ticks, uint64_t served_ticks);

/* The label of the I-th entry mechanism counted so far, or NULL. */
const char *stats_entry_label(unsigned i);

#endif
