/* The arena: one PROT_NONE reservation holding every gate and every
 * process's import table. Any address is classified by arithmetic alone,
 * so the fault handler never searches. */
#ifndef PF_ARENA_H
#define PF_ARENA_H

#include <stdbool.h>
#include <stdint.h>

#include "pf_limits.h"

#define ARENA_GATE_STRIDE   16u    /* bytes between two gates */

enum arena_area {
	AREA_OUTSIDE,     /* not pfipc's */
	AREA_GATE,        /* exactly a gate address */
	AREA_SLOT,        /* exactly the first byte of a slot */
	AREA_OTHER,       /* inside the arena, but neither */
};

struct arena_place {
	enum arena_area area;
	unsigned process;  /* index of the owning process */
	unsigned slot;     /* index in its import table */
};

int arena_init(void);
struct arena_place arena_classify(uintptr_t addr);
uintptr_t arena_gate(unsigned process, unsigned slot);
uintptr_t arena_slot(unsigned process, unsigned slot);

#endif
