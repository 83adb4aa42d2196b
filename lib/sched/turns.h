/* A non-reentrant export runs one call at a time, in arrival order.
 *
 * Two mechanisms, one per concern, with state kept per export (indexed as
 * the registry indexes exports):
 * - the turn: which queued call of the export may run next. Taken and
 *   passed on by the queue, under the owning process's queue lock, so that
 *   a pool's threads cannot overtake each other;
 * - the serial lock: the thread running the export now, one word taken
 *   with a CAS. It is what a re-entry on the same thread, or a cycle of
 *   waits, is detected against. */
#ifndef PF_TURNS_H
#define PF_TURNS_H

#include <stdbool.h>

struct call_msg;
struct export_entry;
struct pf_thread;

/* Under the queue lock of E's process: take E's turn if nobody has it. */
bool turn_take(const struct export_entry *e);
/* Under the same lock: nobody has E's turn any more. */
void turn_drop(const struct export_entry *e);

/* The thread running E now, or NULL. */
struct pf_thread *serial_holder(const struct export_entry *e);

/* T is about to run M (of a non-reentrant export): wait until its export
 * is free. -EDEADLK (M's detail says why) when waiting would never end. */
int serial_enter(struct pf_thread *t, struct call_msg *m);
void serial_leave(const struct export_entry *e);

/* Take E's serial lock for T if it is free, at once, or do nothing and
 * return false. Async-signal-safe (one CAS). */
bool serial_try_enter(struct pf_thread *t, const struct export_entry *e);

#endif
