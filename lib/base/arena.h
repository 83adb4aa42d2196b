/* The arena: one PROT_NONE reservation holding every gate and every
 * process's import table, and a second one, reserved at the first window
 * mapping, holding every process's window mappings. Any address is
 * classified by arithmetic alone, so the fault handler never searches. */
#ifndef PF_ARENA_H
#define PF_ARENA_H

#include <stdbool.h>
#include <stdint.h>

#include "pf_limits.h"

#define ARENA_GATE_STRIDE   16u    /* bytes between two gates */
#define ARENA_PAGE          4096u  /* a window's size is counted in these */
/* Address space of one window mapping: the largest window, so that an
 * access past a window's end still lands in its own mapping. */
#define ARENA_WINDOW_SPAN   ((uintptr_t)LIMIT_WINDOW_PAGES * ARENA_PAGE)

enum arena_area {
	AREA_OUTSIDE,     /* not pfipc's */
	AREA_GATE,        /* exactly a gate address */
	AREA_SLOT,        /* exactly the first byte of a slot */
	AREA_OTHER,       /* inside the arena, but neither */
	AREA_WINDOW,      /* in a window mapping's span */
};

struct arena_place {
	enum arena_area area;
	unsigned process;  /* index of the owning process */
	unsigned slot;     /* index in its import table, or of its window
			      mapping (AREA_WINDOW) */
	uintptr_t offset;  /* AREA_WINDOW: bytes from the mapping's start */
};

int arena_init(void);
struct arena_place arena_classify(uintptr_t addr);
uintptr_t arena_gate(unsigned process, unsigned slot);
uintptr_t arena_slot(unsigned process, unsigned slot);

/* Reserve the window area unless it is (normal context): 0 or -ENOMEM. */
int arena_windows_reserve(void);
/* The address of window mapping SLOT of process PROCESS (the area must be
 * reserved). */
uintptr_t arena_window(unsigned process, unsigned slot);

#endif
