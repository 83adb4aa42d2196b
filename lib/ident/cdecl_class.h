/* How the i386 psABI (System V, "Function Calling Sequence", as gcc and
 * clang follow it on Linux) passes a value of a type that DWARF describes:
 * every argument on the stack, in order, each taking its size rounded up
 * to 4 bytes at a 4-byte aligned offset; a struct or union result, and a
 * _Complex double or long double one, in memory the caller provides,
 * through a hidden pointer pushed first (which the callee pops: ret $4).
 * The stack-byte rule of the i386 build (ident/stack_bytes.c). */
#ifndef PF_CDECL_CLASS_H
#define PF_CDECL_CLASS_H

#include "ident/libdw_api.h"
#include <stdbool.h>

struct cdecl_type {
	unsigned long size;   /* bytes the value takes on the stack, before
				 rounding to 4 */
	bool memory;          /* as a return value: through the hidden pointer */
};

/* Classify TYPE (a DWARF type DIE) as an argument, or with AS_RETURN as a
 * return value. 0, or -ENOTSUP with WHY (WHYCAP bytes) naming what the
 * compilers do not agree on (a vector, or a type aligned beyond 4 bytes:
 * gcc puts it at a 16-byte offset, clang does not) or what DWARF does not
 * say (no size). */
int cdecl_classify(Dwarf_Die *type, bool as_return, struct cdecl_type *out,
		   char *why, size_t whycap);

#endif
