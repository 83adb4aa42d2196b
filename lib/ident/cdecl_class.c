#include <dwarf.h>
#include <errno.h>
#include "ident/cdecl_class.h"
#include "ident/dwarf_type.h"

/* A vector type (vector_size, __m128): its passing depends on -msse and
 * on the compiler. Arrays are never arguments; a vector is an array type
 * DWARF marks with DW_AT_GNU_vector. */
static bool is_vector(Dwarf_Die *t)
{
	return dwarf_tag(t) == DW_TAG_array_type && !dtype_is_array(t);
}

int cdecl_classify(Dwarf_Die *type, bool as_return, struct cdecl_type *out,
		   char *why, size_t whycap)
{
	Dwarf_Die t;
	int peeled = dtype_peel(type, &t);
	if (peeled == 1) {   /* void: only a return type */
		out->size = 0;
		out->memory = false;
		return 0;
	}
	if (peeled < 0)
		return dtype_refuse(why, whycap, type, "cannot be followed in the debug information");
	if (is_vector(&t))
		return dtype_refuse(why, whycap, type, "is a vector, whose passing depends on "
				    "-msse and on the compiler");
	Dwarf_Word size;
	if (dtype_size(&t, &size) != 0)
		return dtype_refuse(why, whycap, type, "has no size in the debug information");
	out->size = (unsigned long)size;
	out->memory = false;
	if (dtype_is_aggregate(&t)) {
		/* Natural alignment beyond 4 (a double or long long member) is
		 * no matter on the i386 stack; a declared one is. */
		Dwarf_Word declared;
		if (dtype_udata(&t, DW_AT_alignment, &declared) && declared > 4)
			return dtype_refuse(why, whycap, type, "is aligned beyond 4 bytes, which "
					    "gcc and clang pass at different offsets");
		out->memory = as_return;
		return 0;
	}
	if (as_return && dwarf_tag(&t) == DW_TAG_base_type) {
		Dwarf_Word enc;
		/* _Complex float comes back in edx:eax, the larger ones in
		 * memory. */
		if (dtype_udata(&t, DW_AT_encoding, &enc) && enc == DW_ATE_complex_float &&
		    size > 8)
			out->memory = true;
	}
	return 0;
}
