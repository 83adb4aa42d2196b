/* The window API: offering windows and port ranges, mapping them. The
 * control side of the window entries, as entries.c is of the call
 * entries: records and mappings are ident/windows.c's, the arena's window
 * area base/arena.c's, and the emulator's one-time set-up is done here,
 * in normal context, before any mapping exists. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include "base/arena.h"
#include "entry/emulate.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "ident/windows.h"
#include "pfipc.h"
#include "proc/process.h"
#include "proc/thread.h"

#define CREATE_FLAGS (PF_EXPORT_REENTRANT | PF_EXPORT_MIGRATE | PF_EXPORT_PRIVATE)

static pthread_once_t emulator_once = PTHREAD_ONCE_INIT;

/* What the handler needs learnt first: the CPU's undefined flags, where
 * the signal frame keeps the upper vector halves (emu_init). */
static void emulator_init(void)
{
	emu_init();
}

/* What the registry says, with the window's function named instead of
 * pf_export. */
static int failed(struct pf_thread *t, const char *fn, int rc, const char *why)
{
	static const char prefix[] = "pf_export: ";
	if (!strncmp(why, prefix, sizeof prefix - 1))
		why += sizeof prefix - 1;
	return error_set(&t->error, rc, "%s: %s", fn, why);
}

static int offer(const char *fn, const char *name, struct window *w, const pf_window_ops *ops,
		 void *ctx, unsigned flags)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return -EINVAL;
	const char *bad = !ops ? "OPS is NULL"
		: !registry_name_valid(name) || strlen(name) >= LIMIT_EXPORT_NAME
		? "the name is not \"namespace.name\" (each part 1 to 63 of [A-Za-z0-9_])"
		: !ops->read && !ops->write && !ops->update ? "OPS has no function"
		: (flags & ~CREATE_FLAGS) ? "flags other than PF_EXPORT_REENTRANT, "
					    "PF_EXPORT_MIGRATE, PF_EXPORT_PRIVATE"
		: (flags & PF_EXPORT_REENTRANT) && !ops->update
		? "a PF_EXPORT_REENTRANT window needs an update function (atomic accesses)"
		: NULL;
	if (bad)
		return failed(t, fn, -EINVAL, bad);
	w->ops = *ops;
	w->ctx = ctx;
	char why[LIMIT_ERROR_MESSAGE];
	int rc = windows_offer(t->self, name, w, flags, why, sizeof why);
	if (rc)
		return failed(t, fn, rc, why);
	error_clear(&t->error);
	return 0;
}

int pf_window_create(const char *name, size_t pages, const pf_window_ops *ops, void *ctx,
		     unsigned flags)
{
	struct pf_thread *t = pf_current;
	if (t && (pages == 0 || pages > LIMIT_WINDOW_PAGES))
		return failed(t, "pf_window_create", -EINVAL, "PAGES is 0 or above 256");
	struct window w = { .kind = WINDOW_MEMORY };
	atomic_store(&w.size, (uint64_t)pages * ARENA_PAGE);
	return offer("pf_window_create", name, &w, ops, ctx, flags);
}

int pf_port_create(const char *name, unsigned first, unsigned count, const pf_window_ops *ops,
		   void *ctx, unsigned flags)
{
	struct pf_thread *t = pf_current;
	if (t && (count == 0 || first > 0xffff || count > 0x10000 - first))
		return failed(t, "pf_port_create", -EINVAL, "no ports, or ports past 65535");
	struct window w = { .kind = WINDOW_PORTS, .first_port = first };
	atomic_store(&w.size, count);
	return offer("pf_port_create", name, &w, ops, ctx, flags);
}

/* The calling thread's process, ready for mappings; or an error. */
static int mapper(struct pf_thread **t)
{
	*t = pf_current;
	if (!*t)
		return -EINVAL;
	pthread_once(&emulator_once, emulator_init);
	return 0;
}

int pf_window_map(const char *name, unsigned flags, void **addr)
{
	struct pf_thread *t;
	int rc = mapper(&t);
	if (rc)
		return rc;
	if (!name || !addr || (flags & ~PF_WINDOW_POSTED))
		return failed(t, "pf_window_map", -EINVAL, !name ? "the name is NULL"
			      : !addr ? "ADDR is NULL" : "flags other than PF_WINDOW_POSTED");
	if ((rc = arena_windows_reserve()) != 0)
		return failed(t, "pf_window_map", rc, "the window area could not be reserved");
	char why[LIMIT_ERROR_MESSAGE];
	unsigned slot;
	if ((rc = windows_map(t->self, name, flags, &slot, why, sizeof why)) != 0)
		return failed(t, "pf_window_map", rc, why);
	*addr = (void *)arena_window(t->self->index, slot);
	error_clear(&t->error);
	return 0;
}

/* The calling process's mapping at ADDR, or NULL. */
static struct window_map *mapping_at(void *addr, unsigned *slot)
{
	struct pf_thread *t = pf_current;
	struct arena_place pl = arena_classify((uintptr_t)addr);
	if (!t || pl.area != AREA_WINDOW || pl.offset || pl.process != t->self->index)
		return NULL;
	*slot = pl.slot;
	return window_map_at(pl.process, pl.slot);
}

int pf_window_unmap(void *addr)
{
	unsigned slot;
	if (!mapping_at(addr, &slot))
		return -EINVAL;
	return windows_unmap(pf_current->self, slot);
}

int pf_window_set_timeout(void *addr, int64_t ns)
{
	unsigned slot;
	struct window_map *m = mapping_at(addr, &slot);
	if (!m || ns < 0)
		return -EINVAL;
	atomic_store(&m->imp.timeout_ns, ns);
	atomic_store(&m->posted.timeout_ns, ns);
	return 0;
}

int pf_port_map(const char *name, unsigned flags)
{
	struct pf_thread *t;
	int rc = mapper(&t);
	if (rc)
		return rc;
	if (!name || (flags & ~PF_WINDOW_POSTED))
		return failed(t, "pf_port_map", -EINVAL, !name ? "the name is NULL"
			      : "flags other than PF_WINDOW_POSTED");
	char why[LIMIT_ERROR_MESSAGE];
	if ((rc = ports_map(t->self, name, flags, why, sizeof why)) != 0)
		return failed(t, "pf_port_map", rc, why);
	error_clear(&t->error);
	return 0;
}

int pf_port_unmap(const char *name)
{
	struct pf_thread *t = pf_current;
	if (!t || !name)
		return -EINVAL;
	return ports_unmap(t->self, name);
}
