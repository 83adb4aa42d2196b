/* Windows: names whose accesses are calls. A window is an export of its
 * own kind (registry.h's EXPORT_WINDOW) with a record here saying what it
 * is (memory of a size, or a range of ports) and how its owner serves it;
 * a mapping is a process's way to reach one: an address in the arena's
 * window area, or its ports, and the import its accesses are sent through.
 *
 * Records are kept per export entry (as turns are) and never freed;
 * mappings per process, in one table each, made at the process's first
 * mapping and never freed either: the fault handler reads both without a
 * lock. Everything is allocated here, in one place each. */
#ifndef PF_IDENT_WINDOWS_H
#define PF_IDENT_WINDOWS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ident/import.h"
#include "pfipc.h"

struct export_entry;
struct pf_process;

enum window_kind {
	WINDOW_MEMORY = 1,
	WINDOW_PORTS,
};

struct window {
	uint8_t kind;               /* enum window_kind; 0: never a window */
	_Atomic uint64_t size;      /* bytes of memory, or ports */
	uint32_t first_port;
	pf_window_ops ops;
	void *ctx;
	struct window *replaced;    /* the record this one replaced (kept) */
};

/* P offers window W under NAME (a validated "ns.name") with FLAGS
 * (PF_EXPORT_REENTRANT, _MIGRATE, _PRIVATE): the record is written, then
 * the name exported. 0, or -EINVAL, -EEXIST, -ENOSPC, -ENOMEM with a
 * sentence in WHY (WHYCAP bytes). */
int windows_offer(struct pf_process *p, const char *name, const struct window *w,
		  unsigned flags, char *why, size_t whycap);

/* The record of window E, or NULL when E was never offered as one. A
 * record never changes once published (an offer again on restart keeps
 * it or publishes another), so a reader needs no lock. */
const struct window *window_of(const struct export_entry *e);

/* One mapping: the imports its accesses go through (owned by the mapping
 * process, in no import table) and where it is. */
struct window_map {
	struct pf_import imp;       /* loads, atomic accesses, waited stores */
	struct pf_import posted;    /* stores with PF_WINDOW_POSTED: one-way */
	bool posted_writes;
	uintptr_t base;             /* a memory window's address */
	uint32_t first, count;      /* a port range's ports */
	_Atomic bool in_use;        /* published last */
};

/* Map memory window NAME into P: *SLOT gets its mapping slot (its address
 * is arena_window(P's index, *SLOT), which the caller has reserved).
 * -ENOENT (no such window), -EPERM (private, no grant), -ENOSPC, -ENOMEM,
 * each with a sentence in WHY (WHYCAP bytes). */
int windows_map(struct pf_process *p, const char *name, unsigned flags, unsigned *slot,
		char *why, size_t whycap);
/* P's mapping SLOT ends. -EINVAL if P has none there. */
int windows_unmap(struct pf_process *p, unsigned slot);
/* The mapping in slot SLOT of the process with index PROCESS, or NULL.
 * Handler-safe. */
struct window_map *window_map_at(unsigned process, unsigned slot);

/* Map port range NAME into P. As windows_map, and -EBUSY when a range P
 * mapped already has one of its ports. */
int ports_map(struct pf_process *p, const char *name, unsigned flags, char *why,
	      size_t whycap);
/* P's mapping of port range NAME ends. -ENOENT if P has none. */
int ports_unmap(struct pf_process *p, const char *name);
/* The port mapping of the process with index PROCESS that holds ports
 * PORT to PORT + WIDTH - 1, or NULL; then *PARTLY says whether one holds
 * some of them. Handler-safe. */
struct window_map *port_map_find(unsigned process, unsigned port, unsigned width,
				 bool *partly);

/* P exited: its mappings end. */
void windows_process_exit(struct pf_process *p);

#endif
