/* Statistics per window: its accesses by kind and width, the bytes moved,
 * the failures, and the instructions that made them (pf_stats_get_window).
 * Counted by the accessing side, in normal context, while statistics are
 * on; the calls' own statistics (stats.h) count each access as a call of
 * the window's name as well. */
#ifndef PF_TRACE_WINDOW_STATS_H
#define PF_TRACE_WINDOW_STATS_H

#include <stdbool.h>

struct export_entry;

/* An access (enum window_op) of WIDTH bytes to window E ended with ERR. */
void window_stats_access(const struct export_entry *e, unsigned op, unsigned width,
			 bool posted, int err);
/* An instruction that accessed window E was carried out. */
void window_stats_instruction(const struct export_entry *e);
/* pf_stats_reset: forget them. */
void window_stats_reset(void);
/* The name of the next window with counts at or after *CURSOR (moved on),
 * or NULL: for pf_stats_print. */
const char *window_stats_next(unsigned *cursor);

#endif
