/* pf_export and pf_export_buffers: the calling process exports a function. */
#include <errno.h>
#include "ident/registry.h"
#include "ident/stack_bytes.h"
#include "proc/thread.h"

int pf_export_buffers(const char *name, void *fn, size_t stack_bytes,
		      unsigned flags, const pf_buffer_param *bufs,
		      unsigned nbufs)
{
	struct pf_thread *t = pf_current;
	if (!t || (flags & EXPORT_WINDOW))
		return -EINVAL;
	char msg[LIMIT_ERROR_MESSAGE];
	int rc = stack_bytes_for_export(name, fn, &stack_bytes, flags, msg, sizeof msg);
	if (!rc)
		rc = registry_export(t->self, name, fn, stack_bytes,
				     flags & ~PF_EXPORT_STACK_AS_DECLARED, bufs, nbufs,
				     msg, sizeof msg);
	if (rc)
		return error_set(&t->error, rc, "%s", msg);
	error_clear(&t->error);
	return 0;
}

int pf_export(const char *name, void *fn, size_t stack_bytes, unsigned flags)
{
	return pf_export_buffers(name, fn, stack_bytes, flags, NULL, 0);
}
