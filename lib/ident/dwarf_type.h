/* Reading C types out of DWARF with libdw: what a type is under its
 * typedefs, its size, its members and where they sit. Nothing here knows
 * the calling convention; sysv_layout.c and sysv_class.c build on it. */
#ifndef PF_DWARF_TYPE_H
#define PF_DWARF_TYPE_H

#include "ident/libdw_api.h"
#include <stdbool.h>
#include <stddef.h>

/* Nesting of types followed before giving up (bad or cyclic DWARF). */
#define DTYPE_MAX_DEPTH 64

/* Strip typedefs and qualifiers. 0 with the underlying type in OUT; 1 for
 * void (a chain that ends without a type); -1 on bad DWARF. */
int dtype_peel(Dwarf_Die *type, Dwarf_Die *out);

/* The type DIE that DIE's DW_AT_type names; false if it has none. */
bool dtype_of(Dwarf_Die *die, Dwarf_Die *out);

/* DIE's attribute NAME as an unsigned constant; false if it has none. */
bool dtype_udata(Dwarf_Die *die, unsigned name, Dwarf_Word *out);

/* Bytes of TYPE; -1 if DWARF does not say. */
int dtype_size(Dwarf_Die *type, Dwarf_Word *size);

/* DIE's name contains PART. */
bool dtype_name_has(Dwarf_Die *die, const char *part);

/* A struct, class or union. */
bool dtype_is_aggregate(Dwarf_Die *t);

/* An array that is not a vector_size vector. */
bool dtype_is_array(Dwarf_Die *t);

/* A member or base class that takes room in its aggregate (not a C++
 * static member). */
bool dtype_is_data_member(Dwarf_Die *m);

/* Where a non-bit-field member starts, in bytes from its aggregate; -1 for
 * a virtual base (found at run time). */
int dtype_member_offset(Dwarf_Die *m, Dwarf_Word *off);

/* An array type declared "[]", without bounds. */
bool dtype_is_unbounded(Dwarf_Die *array);

/* A member declared "type name[]". */
bool dtype_is_flexible_array(Dwarf_Die *member);

/* Where bit-field member M starts, in bits from its aggregate, and its
 * width in bits. */
void dtype_bitfield_place(Dwarf_Die *m, Dwarf_Word *bitpos, Dwarf_Word *bits);

/* TYPE spelled for messages ("long double", "struct pair", "v8sf"). */
void dtype_name(Dwarf_Die *type, char *buf, size_t cap);

/* -ENOTSUP, with WHY saying "type 'NAME' WHAT" (or "its type WHAT"). */
int dtype_refuse(char *why, size_t cap, Dwarf_Die *type, const char *what);

#endif
