/* The library's own version, for programs that want to check at run time
 * that the library they were loaded with is the one they were built for.
 * The numbers come from pfipc_version.h, which meson makes from the
 * project version, so the library and its headers cannot disagree. */
#include "pfipc.h"

const char *pf_version(unsigned *major, unsigned *minor, unsigned *patch)
{
	if (major)
		*major = PFIPC_VERSION_MAJOR;
	if (minor)
		*minor = PFIPC_VERSION_MINOR;
	if (patch)
		*patch = PFIPC_VERSION_PATCH;
	return PFIPC_VERSION_STRING;
}
