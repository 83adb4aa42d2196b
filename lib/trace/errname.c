#include <errno.h>
#include "trace/errname.h"

const char *trace_errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case EINVAL:     return "EINVAL";
	case ENOENT:     return "ENOENT";
	case EEXIST:     return "EEXIST";
	case ENOSPC:     return "ENOSPC";
	case ENOMEM:     return "ENOMEM";
	case ESRCH:      return "ESRCH";
	case EPERM:      return "EPERM";
	case EBADF:      return "EBADF";
	case EMSGSIZE:   return "EMSGSIZE";
	case EBUSY:      return "EBUSY";
	case EDEADLK:    return "EDEADLK";
	case ETIMEDOUT:  return "ETIMEDOUT";
	case EOWNERDEAD: return "EOWNERDEAD";
	case EAGAIN:     return "EAGAIN";
	default:         return 0;
	}
}
