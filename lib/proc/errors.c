#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "pfipc.h"
#include "proc/errors.h"

int error_set(struct thread_error *e, int err, const char *fmt, ...)
{
	e->err = err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
	return err;
}

void error_clear(struct thread_error *e)
{
	e->err = 0;
	e->text[0] = '\0';
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
	case -EOPNOTSUPP: return "not supported (by the machine, or by the window's owner)";
	default:          return "unknown error";
	}
}
