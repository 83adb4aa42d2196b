/* The psABI's data layout for what DWARF describes: the classes, size and
 * alignment of each scalar and vector type, and the alignment of
 * aggregates (LP64: "long double" is the 16-byte x87 format). Where the
 * psABI is silent or the compilers read it their own way (vectors of 8
 * bytes or less, a 32-byte complex), what GCC and clang both do is what
 * is done here; what depends on options the debug information does not
 * record (AVX for 32- and 64-byte vectors) is refused. */
#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dwarf_type.h"
#include "sysv_layout.h"

/* GCC's DW_ATE for _Complex int and other complex integers. */
#define DW_ATE_GNU_complex_int DW_ATE_lo_user

static void set_classes(struct sysv_scalar *s, unsigned size, unsigned align,
			enum sysv_class first, enum sysv_class rest)
{
	s->size = size;
	s->align = align;
	s->words = (size + 7) / 8;
	for (unsigned i = 0; i < s->words && i < SYSV_MAX_WORDS; i++)
		s->cls[i] = i ? rest : first;
}

static int base_scalar(Dwarf_Die *t, struct sysv_scalar *s, char *why, size_t cap)
{
	Dwarf_Word enc = 0, size = 0;
	dtype_udata(t, DW_AT_encoding, &enc);
	dtype_udata(t, DW_AT_byte_size, &size);
	switch (enc) {
	case DW_ATE_boolean:
	case DW_ATE_signed:
	case DW_ATE_unsigned:
	case DW_ATE_signed_char:
	case DW_ATE_unsigned_char:
	case DW_ATE_UTF:
	case DW_ATE_UCS:
	case DW_ATE_ASCII:
	case DW_ATE_address:
		if (dtype_name_has(t, "_BitInt") && size > 8)
			break;   /* aligned to 8, unlike __int128: unchecked */
		if (size == 1 || size == 2 || size == 4 || size == 8) {
			set_classes(s, size, size, SYSV_INTEGER, SYSV_INTEGER);
			return 0;
		}
		if (size == 16) {   /* __int128: two INTEGER eightbytes */
			set_classes(s, 16, 16, SYSV_INTEGER, SYSV_INTEGER);
			s->int128 = true;
			return 0;
		}
		break;
	case DW_ATE_float:
		if (size == 2 || size == 4 || size == 8) {
			set_classes(s, size, size, SYSV_SSE, SYSV_SSE);
			return 0;
		}
		/* Two 16-byte kinds: the x87 80-bit format, and IEEE binary128
		 * which travels whole in one SSE register. */
		if (size == 16 && (dtype_name_has(t, "long double") ||
				   dtype_name_has(t, "_Float64x") || dtype_name_has(t, "__float80"))) {
			set_classes(s, 16, 16, SYSV_X87, SYSV_X87UP);
			return 0;
		}
		if (size == 16 && (dtype_name_has(t, "_Float128") || dtype_name_has(t, "__float128"))) {
			set_classes(s, 16, 16, SYSV_SSE, SYSV_SSEUP);
			s->float128 = true;
			return 0;
		}
		break;
	case DW_ATE_decimal_float:
		if (size == 4 || size == 8) {
			set_classes(s, size, size, SYSV_SSE, SYSV_SSE);
			return 0;
		}
		if (size == 16) {
			set_classes(s, 16, 16, SYSV_SSE, SYSV_SSEUP);
			return 0;
		}
		break;
	case DW_ATE_complex_float:
		/* Two of the part type, each classified as a field. */
		if (size == 4 || size == 8 || size == 16) {
			set_classes(s, size, size / 2, SYSV_SSE, SYSV_SSE);
			return 0;
		}
		if (size == 32 && (dtype_name_has(t, "long double") || dtype_name_has(t, "_Float64x"))) {
			set_classes(s, 32, 16, SYSV_COMPLEX_X87, SYSV_COMPLEX_X87);
			return 0;
		}
		if (size == 32) {
			/* _Complex _Float128 (SSE SSEUP SSE SSEUP: memory), or
			 * clang's plain "complex", which may also be long
			 * double's. Passed alike: in memory, 16-aligned. */
			set_classes(s, 32, 16, SYSV_SSE, SYSV_SSEUP);
			s->cls[2] = SYSV_SSE;
			s->unsure_return = !dtype_name_has(t, "_Float128") &&
					   !dtype_name_has(t, "__float128");
			return 0;
		}
		break;
	case DW_ATE_GNU_complex_int:
		if (size == 2 || size == 4 || size == 8 || size == 16 || size == 32) {
			set_classes(s, size, size / 2, SYSV_INTEGER, SYSV_INTEGER);
			return 0;
		}
		break;
	}
	return dtype_refuse(why, cap, t, "is a kind of base type pfipc cannot classify");
}

/* GCC's vector_size types. The psABI names only __m64, __m128, __m256 and
 * __m512; for the others, GCC and clang agree: up to 4 bytes of integers
 * is INTEGER, a vector of one double goes in memory, other 8- and 16-byte
 * vectors are SSE. 32 and 64 bytes go in a ymm/zmm register only when the
 * code was built with AVX, which the debug information does not say. */
static int vector_scalar(Dwarf_Die *t, struct sysv_scalar *s, char *why, size_t cap)
{
	Dwarf_Word size;
	Dwarf_Die elem, base;
	if (dtype_size(t, &size) != 0 || !dtype_of(t, &elem) ||
	    dtype_peel(&elem, &base) != 0)
		return dtype_refuse(why, cap, t, "is a vector pfipc cannot read");
	Dwarf_Word enc = 0, esize = 0;
	dtype_udata(&base, DW_AT_encoding, &enc);
	dtype_udata(&base, DW_AT_byte_size, &esize);
	bool floating = enc == DW_ATE_float;
	if (size <= 4 && !floating && (size & (size - 1)) == 0 && size) {
		set_classes(s, size, size, SYSV_INTEGER, SYSV_INTEGER);
		return 0;
	}
	if (size == 8) {
		set_classes(s, 8, 8, floating && esize == 8 ? SYSV_MEMORY : SYSV_SSE,
			    SYSV_SSE);
		return 0;
	}
	if (size == 16) {
		set_classes(s, 16, 16, SYSV_SSE, SYSV_SSEUP);
		return 0;
	}
	if (size == 32 || size == 64)
		return dtype_refuse(why, cap, t, size == 32 ?
				   "is a 32-byte vector, passed in registers only when built with AVX" :
				   "is a 64-byte vector, passed in registers only when built with AVX-512");
	return dtype_refuse(why, cap, t, "is a vector size pfipc cannot classify");
}

/* A type that is not an aggregate: classes, size, alignment. */
int sysv_scalar_of(Dwarf_Die *t, struct sysv_scalar *s, char *why, size_t cap)
{
	memset(s, 0, sizeof *s);
	Dwarf_Die target, peeled;
	Dwarf_Word size = 0;
	switch (dwarf_tag(t)) {
	case DW_TAG_base_type:
		return base_scalar(t, s, why, cap);
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		set_classes(s, 8, 8, SYSV_INTEGER, SYSV_INTEGER);
		return 0;
	case DW_TAG_ptr_to_member_type:
		/* A pointer to a member function is {function, adjustment}. */
		if (dtype_of(t, &target) && dtype_peel(&target, &peeled) == 0 &&
		    dwarf_tag(&peeled) == DW_TAG_subroutine_type)
			set_classes(s, 16, 8, SYSV_INTEGER, SYSV_INTEGER);
		else
			set_classes(s, 8, 8, SYSV_INTEGER, SYSV_INTEGER);
		return 0;
	case DW_TAG_enumeration_type:
		dtype_udata(t, DW_AT_byte_size, &size);
		if (size == 1 || size == 2 || size == 4 || size == 8) {
			set_classes(s, size, size, SYSV_INTEGER, SYSV_INTEGER);
			return 0;
		}
		break;
	case DW_TAG_unspecified_type:   /* C++ std::nullptr_t */
		if (dtype_udata(t, DW_AT_byte_size, &size) && size == 8) {
			set_classes(s, 8, 8, SYSV_INTEGER, SYSV_INTEGER);
			return 0;
		}
		break;
	case DW_TAG_array_type:
		if (dwarf_hasattr(t, DW_AT_GNU_vector))
			return vector_scalar(t, s, why, cap);
		break;
	}
	return dtype_refuse(why, cap, t, "is not a type pfipc can classify");
}

/* The alignment a member (or array element) of type chain TYPE gets: an
 * _Alignas or aligned attribute on DIE itself or on a typedef in the
 * chain wins over the type's own. */
int sysv_declared_align(Dwarf_Die *die, Dwarf_Die *type, unsigned *align,
			  int depth, char *why, size_t cap)
{
	Dwarf_Word a;
	if (die && dtype_udata(die, DW_AT_alignment, &a)) {
		*align = (unsigned)a;
		return 0;
	}
	Dwarf_Die cur = *type;
	for (int i = 0; i < DTYPE_MAX_DEPTH; i++) {
		if (dtype_udata(&cur, DW_AT_alignment, &a)) {
			*align = (unsigned)a;
			return 0;
		}
		int tag = dwarf_tag(&cur);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type && tag != DW_TAG_restrict_type &&
		    tag != DW_TAG_atomic_type)
			return sysv_natural_align(&cur, align, depth + 1, why, cap);
		if (!dtype_of(&cur, &cur))
			return dtype_refuse(why, cap, type, "has no size");
	}
	return dtype_refuse(why, cap, type, "is nested too deeply");
}

/* The alignment of an aggregate with no DW_AT_alignment: its largest
 * member's. DWARF does not record __attribute__((packed)); a member off
 * its alignment, or a size that is not a multiple of it, shows it. */
static int aggregate_align(Dwarf_Die *t, unsigned *align, int depth, char *why, size_t cap)
{
	Dwarf_Word size = 0;
	dtype_udata(t, DW_AT_byte_size, &size);
	unsigned a = 1;
	bool packed = false;
	Dwarf_Die m;
	if (dwarf_child(t, &m) != 0)
		goto done;
	do {
		if (!dtype_is_data_member(&m))
			continue;
		Dwarf_Die type;
		if (!dtype_of(&m, &type))
			return dtype_refuse(why, cap, t, "has a member without a type");
		unsigned ma;
		int rc = sysv_declared_align(&m, &type, &ma, depth, why, cap);
		if (rc)
			return rc;
		Dwarf_Word off;
		if (dwarf_hasattr(&m, DW_AT_bit_size)) {
			if (ma > a)
				a = ma;
			continue;
		}
		if (dtype_member_offset(&m, &off) != 0)
			return dtype_refuse(why, cap, t, "has a virtual base");
		if (ma && off % ma)
			packed = true;
		else if (ma > a)
			a = ma;
	} while (dwarf_siblingof(&m, &m) == 0);
done:
	if (packed || size % a)
		a = 1;
	*align = a;
	return 0;
}

int sysv_natural_align(Dwarf_Die *t, unsigned *align, int depth, char *why, size_t cap)
{
	if (depth > DTYPE_MAX_DEPTH)
		return dtype_refuse(why, cap, t, "is nested too deeply");
	Dwarf_Word a;
	bool declared = dtype_udata(t, DW_AT_alignment, &a);
	if (dtype_is_aggregate(t)) {
		/* aligned(N) on a struct raises its alignment, never lowers
		 * it below a member's. */
		int rc = aggregate_align(t, align, depth, why, cap);
		if (rc == 0 && declared && a > *align)
			*align = (unsigned)a;
		return rc;
	}
	if (declared) {
		*align = (unsigned)a;
		return 0;
	}
	if (dtype_is_array(t)) {
		Dwarf_Die elem;
		if (!dtype_of(t, &elem))
			return dtype_refuse(why, cap, t, "has no element type");
		return sysv_declared_align(NULL, &elem, align, depth, why, cap);
	}
	struct sysv_scalar s;
	int rc = sysv_scalar_of(t, &s, why, cap);
	*align = s.align;
	return rc;
}
