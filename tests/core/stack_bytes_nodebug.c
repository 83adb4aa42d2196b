/* Built with -g0 into a shared library: no debug information at all. */
#include "stack_bytes_elsewhere.h"

long nodebug_add7(long a, long b, long c, long d, long e, long f, long g)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g;
}
