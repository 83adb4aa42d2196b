/* The arena: gates first, then the import tables, all PROT_NONE forever.
 * Nothing is ever mapped readable here: reading a slot or jumping to a gate
 * must fault, because the fault is the call. The window area is the same
 * for loads and stores: every access to a window mapping faults, and the
 * fault is the access. It is reserved only when a program first maps a
 * window (it is large: a span per mapping slot of every process). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include "base/arena.h"

#define GATE_BYTES  ((uintptr_t)LIMIT_PROCESSES * LIMIT_IMPORTS * ARENA_GATE_STRIDE)
#define TABLE_BYTES ((uintptr_t)LIMIT_IMPORTS * 8u)
#define SLOT_BYTES  ((uintptr_t)LIMIT_PROCESSES * TABLE_BYTES)

#define WINDOW_BYTES ((uintptr_t)LIMIT_PROCESSES * LIMIT_WINDOW_MAPS * ARENA_WINDOW_SPAN)

/* Written once by arena_init (under pf_init's once), read by the handler. */
static uintptr_t gate_base, slot_base, arena_end;
/* 0 until the first window mapping; then published once. */
static _Atomic uintptr_t window_base;
static pthread_mutex_t window_lock = PTHREAD_MUTEX_INITIALIZER;

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

int arena_windows_reserve(void)
{
	if (atomic_load_explicit(&window_base, memory_order_acquire))
		return 0;
	int rc = 0;
	pthread_mutex_lock(&window_lock);
	if (!atomic_load(&window_base)) {
		void *p = mmap(NULL, WINDOW_BYTES, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			rc = -ENOMEM;
		else
			atomic_store_explicit(&window_base, (uintptr_t)p, memory_order_release);
	}
	pthread_mutex_unlock(&window_lock);
	return rc;
}

uintptr_t arena_window(unsigned process, unsigned slot)
{
	return atomic_load_explicit(&window_base, memory_order_acquire) +
	       ((uintptr_t)process * LIMIT_WINDOW_MAPS + slot) * ARENA_WINDOW_SPAN;
}

static struct arena_place classify_window(uintptr_t addr)
{
	struct arena_place pl = { AREA_OUTSIDE, 0, 0, 0 };
	uintptr_t base = atomic_load_explicit(&window_base, memory_order_acquire);
	if (!base || addr < base || addr - base >= WINDOW_BYTES)
		return pl;
	uintptr_t span = (addr - base) / ARENA_WINDOW_SPAN;
	pl.area = AREA_WINDOW;
	pl.process = (unsigned)(span / LIMIT_WINDOW_MAPS);
	pl.slot = (unsigned)(span % LIMIT_WINDOW_MAPS);
	pl.offset = (addr - base) % ARENA_WINDOW_SPAN;
	return pl;
}

struct arena_place arena_classify(uintptr_t addr)
{
	struct arena_place pl = { AREA_OUTSIDE, 0, 0, 0 };
	if (addr < gate_base || addr >= arena_end)
		return classify_window(addr);
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
