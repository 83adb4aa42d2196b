/* pf_export and pf_export_buffers: the calling process exports a function. */
#include <errno.h>
#include "ident/registry.h"
#include "proc/thread.h"

int pf_export_buffers(const char *name, void *fn, size_t stack_bytes,
		      unsigned flags, const pf_buffer_param *bufs,
		      unsigned nbufs)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return -EINVAL;
	return registry_export(t->self, name, fn, stack_bytes, flags, bufs, nbufs);
}

int pf_export(const char *name, void *fn, size_t stack_bytes, unsigned flags)
{
	return pf_export_buffers(name, fn, stack_bytes, flags, NULL, 0);
}
