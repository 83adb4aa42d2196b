/* The arena: gates first, then the import tables, all PROT_NONE forever.
 * Nothing is ever mapped readable here: reading a slot or jumping to a gate
 * must fault, because the fault is the call. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include "base/arena.h"

#define GATE_BYTES  ((uintptr_t)LIMIT_PROCESSES * LIMIT_IMPORTS * ARENA_GATE_STRIDE)
#define TABLE_BYTES ((uintptr_t)LIMIT_IMPORTS * 8u)
#define SLOT_BYTES  ((uintptr_t)LIMIT_PROCESSES * TABLE_BYTES)

/* Written once by arena_init (under pf_init's once), read by the handler. */
static uintptr_t gate_base, slot_base, arena_end;

int arena_init(void)
{
	void *p = mmap(NULL, GATE_BYTES + SLOT_BYTES, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	gate_base = (uintptr_t)p;
	slot_base = gate_base + GATE_BYTES;
	arena_end = slot_base + SLOT_BYTES;
	return 0;
}

struct arena_place arena_classify(uintptr_t addr)
{
	struct arena_place pl = { AREA_OUTSIDE, 0, 0 };
	if (addr < gate_base || addr >= arena_end)
		return pl;
	pl.area = AREA_OTHER;
	if (addr < slot_base) {
		uintptr_t i = (addr - gate_base) / ARENA_GATE_STRIDE;
		if ((addr - gate_base) % ARENA_GATE_STRIDE == 0)
			pl.area = AREA_GATE;
		pl.process = (unsigned)(i / LIMIT_IMPORTS);
		pl.slot = (unsigned)(i % LIMIT_IMPORTS);
	} else {
		uintptr_t off = addr - slot_base;
		if (off % 8 == 0)
			pl.area = AREA_SLOT;
		pl.process = (unsigned)(off / TABLE_BYTES);
		pl.slot = (unsigned)(off % TABLE_BYTES / 8);
	}
	return pl;
}

uintptr_t arena_gate(unsigned process, unsigned slot)
{
	return gate_base + ((uintptr_t)process * LIMIT_IMPORTS + slot) * ARENA_GATE_STRIDE;
}

uintptr_t arena_slot(unsigned process, unsigned slot)
{
	return slot_base + (uintptr_t)process * TABLE_BYTES + (uintptr_t)slot * 8u;
}
