/* Imports: a process's slot and gate for one name. Each process has an
 * import table (LIMIT_IMPORTS imports), found by the fault handler through
 * the process record. */
#ifndef PF_IMPORT_H
#define PF_IMPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct pf_process;
struct export_entry;

/* An import's flags beside the public PF_IMPORT_*: it carries the
 * accesses of a window mapping (ident/windows.c). Such an import is in no
 * import table: it has no slot and no gate, and it only ever binds to a
 * window (registry.h's EXPORT_WINDOW), as other imports only to functions. */
#define IMPORT_WINDOW (1u << 16)

struct pf_import {
	struct pf_process *owner;
	unsigned slot;
	unsigned flags;               /* PF_IMPORT_* */
	struct export_entry *entry;   /* never NULL once in use */
	uintptr_t gate;
	uintptr_t slot_addr;
	_Atomic int64_t timeout_ns;   /* 0: the process's call_timeout_ns */
	_Atomic bool in_use;          /* published last: the handler reads it */
};

/* Give P its (empty) import table. 0 or -ENOMEM. */
int import_table_create(struct pf_process *p);

/* The import living at slot SLOT of process P, or NULL. Handler-safe. */
struct pf_import *import_at(const struct pf_process *p, unsigned slot);

#endif
