/* The System V x86-64 psABI's data layout for types DWARF describes: the
 * eightbyte classes, size and alignment of scalars and vectors, and the
 * alignment of any type. */
#ifndef PF_SYSV_LAYOUT_H
#define PF_SYSV_LAYOUT_H

#include "ident/libdw_api.h"
#include <stdbool.h>
#include <stddef.h>

/* psABI 3.2.3: the class of an eightbyte. */
enum sysv_class {
	SYSV_NO_CLASS,
	SYSV_INTEGER,
	SYSV_SSE,
	SYSV_SSEUP,
	SYSV_X87,
	SYSV_X87UP,
	SYSV_COMPLEX_X87,
	SYSV_MEMORY,
};

/* Values of more than eight eightbytes are always passed in memory. */
#define SYSV_MAX_WORDS 8u

/* One scalar or vector. */
struct sysv_scalar {
	unsigned size, align, words;
	enum sysv_class cls[SYSV_MAX_WORDS];   /* one per eightbyte */
	bool int128;          /* __int128 */
	bool float128;        /* __float128 / _Float128 */
	bool unsure_return;   /* a 32-byte complex whose name does not say
				 whether it is long double's (returned in
				 st0:st1) or _Float128's (returned in memory) */
};

/* The classes, size and alignment of T, a type that is not an aggregate
 * (typedefs stripped). 0, or -ENOTSUP with WHY (CAP bytes). */
int sysv_scalar_of(Dwarf_Die *t, struct sysv_scalar *s, char *why, size_t cap);

/* The alignment of T (typedefs stripped): DW_AT_alignment, else its
 * natural one. DEPTH counts nested types, against cycles. */
int sysv_natural_align(Dwarf_Die *t, unsigned *align, int depth, char *why,
		       size_t cap);

/* The alignment a member DIE (or an array element, DIE NULL) of type
 * chain TYPE gets: an _Alignas or aligned attribute on DIE or on a typedef
 * in the chain wins over the type's own. */
int sysv_declared_align(Dwarf_Die *die, Dwarf_Die *type, unsigned *align,
			int depth, char *why, size_t cap);

#endif
