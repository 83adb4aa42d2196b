/* Call sites compiled at the optimisation level under test (and by gcc or
 * clang). Each returns the callee's result + 1 so that the call cannot be
 * turned into a tail call, except the *_tail ones, which must be. */
#include "sites.h"

long site_slot_call(long (*const *slot)(long, long), long a, long b)
{
	return (*slot)(a, b) + 1;
}

long site_slot_tail(long (*const *slot)(long, long), long a, long b)
{
	return (*slot)(a, b);
}

long site_gate_call(long (*fn)(long, long), long a, long b)
{
	return fn(a, b) + 1;
}

long site_gate_tail(long (*fn)(long, long), long a, long b)
{
	return fn(a, b);
}
