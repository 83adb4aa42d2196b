/* Built with -g1: debug information that names the function but leaves
 * its parameters out. */
#include "stack_bytes_elsewhere.h"

long g1_add7(long a, long b, long c, long d, long e, long f, long g)
{
	return a - b + c - d + e - f + g;
}
