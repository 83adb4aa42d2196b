/* Library set-up, exports, and the per-thread error of import calls. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "decode.h"
#include "fault.h"
#include "ident/stack_bytes.h"
#include "registry.h"
#include "thread.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_result;

static void init_once(void)
{
	const char *cache = getenv("PFIPC_DECODE_CACHE");
	if (cache && strcmp(cache, "0") == 0)
		decode_cache_enable(false);
	init_result = arena_init();
	if (!init_result)
		init_result = fault_install();
}

int pf_init(void)
{
	pthread_once(&once, init_once);
	return init_result;
}

int pf_export_buffers(const char *name, void *fn, size_t stack_bytes,
		      unsigned flags, const pf_buffer_param *bufs,
		      unsigned nbufs)
{
	struct pf_thread *t = pf_current;
	if (!t)
		return -EINVAL;
	char msg[THREAD_ERRMSG];
	int rc = stack_bytes_for_export(name, fn, &stack_bytes, flags, msg, sizeof msg);
	if (rc) {
		thread_set_message(t, msg);
		return rc;
	}
	return registry_export(t->self, name, fn, stack_bytes,
			       flags & ~PF_EXPORT_STACK_AS_DECLARED, bufs, nbufs);
}

int pf_export(const char *name, void *fn, size_t stack_bytes, unsigned flags)
{
	return pf_export_buffers(name, fn, stack_bytes, flags, NULL, 0);
}

int pf_errno(void)
{
	struct pf_thread *t = pf_current;
	return t ? t->err : 0;
}

const char *pf_error_message(void)
{
	struct pf_thread *t = pf_current;
	return t ? t->errmsg : "";
}

const char *pf_strerror(int err)
{
	switch (err) {
	case 0:           return "success";
	case -EINVAL:     return "invalid argument";
	case -ENOENT:     return "no such export";
	case -EEXIST:     return "name or namespace already exported";
	case -ENOSPC:     return "a fixed table is full";
	case -ENOMEM:     return "out of memory";
	case -ESRCH:      return "the serving process has stopped";
	case -EPERM:      return "not permitted";
	case -EMSGSIZE:   return "buffer longer than declared";
	case -EBUSY:      return "thread already in a process";
	case -EDEADLK:    return "the call would wait forever (deadlock)";
	case -ETIMEDOUT:  return "timed out";
	case -EOWNERDEAD: return "the serving process crashed";
	case -EAGAIN:     return "resource temporarily unavailable";
	case -EBADF:      return "no such handle (closed, stale or never made)";
	default:          return "unknown error";
	}
}
