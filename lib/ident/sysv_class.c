/* Classification of a DWARF type for the System V x86-64 calling
 * convention. psABI 3.2.3 in short: a scalar has the class of its kind
 * (INTEGER, SSE, X87...); an aggregate of at most 16 bytes is split into
 * eightbytes, each taking the merged class of the fields that overlap it;
 * anything larger, or holding an unaligned field, goes in memory. Where
 * the psABI is silent or the compilers read it their own way (vectors of
 * 8 bytes or less, a 32-byte complex), what GCC and clang both do is
 * what is done here; what depends on options the debug information does
 * not record (AVX for 32- and 64-byte vectors) is refused. */
#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "sysv_class.h"

/* Values of more than eight eightbytes are always passed in memory. */
#define MAX_WORDS 8u
/* Nesting of types followed before giving up (bad or cyclic DWARF). */
#define MAX_DEPTH 64

/* GCC's DW_ATE for _Complex int and other complex integers. */
#define DW_ATE_GNU_complex_int DW_ATE_lo_user

/* One scalar or vector: its size, alignment and eightbyte classes. */
struct scalar {
	unsigned size, align, words;
	enum sysv_class cls[MAX_WORDS];
	bool int128;
	bool float128;        /* __float128 / _Float128 */
	bool unsure_return;   /* a 32-byte complex whose name does not say
				 whether it is long double's (returned in
				 st0:st1) or _Float128's (returned in memory) */
};

/* Classes of the eightbytes of an aggregate being walked. */
struct walk {
	enum sysv_class cls[MAX_WORDS];
	bool misaligned;
	int clang_major;
	char *why;
	size_t whycap;
};

static int unsupported(char *why, size_t cap, Dwarf_Die *type, const char *what)
{
	char name[96];
	if (dwarf_diename(type)) {
		sysv_type_name(type, name, sizeof name);
		snprintf(why, cap, "type '%s' %s", name, what);
	} else {
		snprintf(why, cap, "its type %s", what);
	}
	return -ENOTSUP;
}

/* Strip typedefs and qualifiers. 0 with the underlying type in OUT; 1 for
 * void (a chain that ends without a type); -1 on bad DWARF. */
static int peel(Dwarf_Die *type, Dwarf_Die *out)
{
	*out = *type;
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		switch (dwarf_tag(out)) {
		case DW_TAG_typedef:
		case DW_TAG_const_type:
		case DW_TAG_volatile_type:
		case DW_TAG_restrict_type:
		case DW_TAG_atomic_type:
		case DW_TAG_immutable_type:
		case DW_TAG_shared_type:
			break;
		default:
			return 0;
		}
		Dwarf_Attribute attr;
		if (!dwarf_attr(out, DW_AT_type, &attr))
			return 1;
		if (!dwarf_formref_die(&attr, out))
			return -1;
	}
	return -1;
}

/* The type DIE that DIE's DW_AT_type names; false if it has none. */
static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	return dwarf_attr_integrate(die, DW_AT_type, &attr) &&
	       dwarf_formref_die(&attr, out);
}

static bool udata(Dwarf_Die *die, unsigned name, Dwarf_Word *out)
{
	Dwarf_Attribute attr;
	return dwarf_attr(die, name, &attr) && dwarf_formudata(&attr, out) == 0;
}

static int type_size(Dwarf_Die *type, Dwarf_Word *size);

/* Elements in an array: the product of its dimensions; 0 for a flexible
 * array member. */
static Dwarf_Word array_count(Dwarf_Die *array)
{
	Dwarf_Word count = 1;
	Dwarf_Die dim;
	if (dwarf_child(array, &dim) != 0)
		return 0;
	do {
		if (dwarf_tag(&dim) != DW_TAG_subrange_type)
			continue;
		Dwarf_Word n, upper, lower = 0;
		if (udata(&dim, DW_AT_count, &n)) {
			count *= n;
		} else if (udata(&dim, DW_AT_upper_bound, &upper)) {
			udata(&dim, DW_AT_lower_bound, &lower);
			count *= upper + 1 - lower;
		} else {
			return 0;
		}
	} while (dwarf_siblingof(&dim, &dim) == 0);
	return count;
}

/* Bytes of TYPE. dwarf_aggregate_size needs DW_AT_byte_size on the
 * elements of an array, which clang leaves off pointer types. */
static int type_size(Dwarf_Die *type, Dwarf_Word *size)
{
	Dwarf_Die t, elem, target;
	if (peel(type, &t) != 0)
		return -1;
	if (udata(&t, DW_AT_byte_size, size))
		return 0;
	switch (dwarf_tag(&t)) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		*size = 8;
		return 0;
	case DW_TAG_ptr_to_member_type:
		*size = type_of(&t, &target) && peel(&target, &target) == 0 &&
			dwarf_tag(&target) == DW_TAG_subroutine_type ? 16 : 8;
		return 0;
	case DW_TAG_array_type:
		if (!type_of(&t, &elem) || type_size(&elem, size) != 0)
			return -1;
		*size *= array_count(&t);
		return 0;
	}
	return dwarf_aggregate_size(&t, size);
}

static bool name_has(Dwarf_Die *die, const char *part)
{
	const char *name = dwarf_diename(die);
	return name && strstr(name, part);
}

static void set_classes(struct scalar *s, unsigned size, unsigned align,
			enum sysv_class first, enum sysv_class rest)
{
	s->size = size;
	s->align = align;
	s->words = (size + 7) / 8;
	for (unsigned i = 0; i < s->words && i < MAX_WORDS; i++)
		s->cls[i] = i ? rest : first;
}

static int base_scalar(Dwarf_Die *t, struct scalar *s, char *why, size_t cap)
{
	Dwarf_Word enc = 0, size = 0;
	udata(t, DW_AT_encoding, &enc);
	udata(t, DW_AT_byte_size, &size);
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
		if (name_has(t, "_BitInt") && size > 8)
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
		if (size == 16 && (name_has(t, "long double") ||
				   name_has(t, "_Float64x") || name_has(t, "__float80"))) {
			set_classes(s, 16, 16, SYSV_X87, SYSV_X87UP);
			return 0;
		}
		if (size == 16 && (name_has(t, "_Float128") || name_has(t, "__float128"))) {
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
		if (size == 32 && (name_has(t, "long double") || name_has(t, "_Float64x"))) {
			set_classes(s, 32, 16, SYSV_COMPLEX_X87, SYSV_COMPLEX_X87);
			return 0;
		}
		if (size == 32) {
			/* _Complex _Float128 (SSE SSEUP SSE SSEUP: memory), or
			 * clang's plain "complex", which may also be long
			 * double's. Passed alike: in memory, 16-aligned. */
			set_classes(s, 32, 16, SYSV_SSE, SYSV_SSEUP);
			s->cls[2] = SYSV_SSE;
			s->unsure_return = !name_has(t, "_Float128") &&
					   !name_has(t, "__float128");
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
	return unsupported(why, cap, t, "is a kind of base type pfipc cannot classify");
}

/* GCC's vector_size types. The psABI names only __m64, __m128, __m256 and
 * __m512; for the others, GCC and clang agree: up to 4 bytes of integers
 * is INTEGER, a vector of one double goes in memory, other 8- and 16-byte
 * vectors are SSE. 32 and 64 bytes go in a ymm/zmm register only when the
 * code was built with AVX, which the debug information does not say. */
static int vector_scalar(Dwarf_Die *t, struct scalar *s, char *why, size_t cap)
{
	Dwarf_Word size;
	Dwarf_Die elem, base;
	if (type_size(t, &size) != 0 || !type_of(t, &elem) ||
	    peel(&elem, &base) != 0)
		return unsupported(why, cap, t, "is a vector pfipc cannot read");
	Dwarf_Word enc = 0, esize = 0;
	udata(&base, DW_AT_encoding, &enc);
	udata(&base, DW_AT_byte_size, &esize);
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
		return unsupported(why, cap, t, size == 32 ?
				   "is a 32-byte vector, passed in registers only when built with AVX" :
				   "is a 64-byte vector, passed in registers only when built with AVX-512");
	return unsupported(why, cap, t, "is a vector size pfipc cannot classify");
}

/* A type that is not an aggregate: classes, size, alignment. */
static int scalar_of(Dwarf_Die *t, struct scalar *s, char *why, size_t cap)
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
		if (type_of(t, &target) && peel(&target, &peeled) == 0 &&
		    dwarf_tag(&peeled) == DW_TAG_subroutine_type)
			set_classes(s, 16, 8, SYSV_INTEGER, SYSV_INTEGER);
		else
			set_classes(s, 8, 8, SYSV_INTEGER, SYSV_INTEGER);
		return 0;
	case DW_TAG_enumeration_type:
		udata(t, DW_AT_byte_size, &size);
		if (size == 1 || size == 2 || size == 4 || size == 8) {
			set_classes(s, size, size, SYSV_INTEGER, SYSV_INTEGER);
			return 0;
		}
		break;
	case DW_TAG_unspecified_type:   /* C++ std::nullptr_t */
		if (udata(t, DW_AT_byte_size, &size) && size == 8) {
			set_classes(s, 8, 8, SYSV_INTEGER, SYSV_INTEGER);
			return 0;
		}
		break;
	case DW_TAG_array_type:
		if (dwarf_hasattr(t, DW_AT_GNU_vector))
			return vector_scalar(t, s, why, cap);
		break;
	}
	return unsupported(why, cap, t, "is not a type pfipc can classify");
}

static bool is_aggregate(Dwarf_Die *t)
{
	int tag = dwarf_tag(t);
	return tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
	       tag == DW_TAG_union_type;
}

static bool is_plain_array(Dwarf_Die *t)
{
	return dwarf_tag(t) == DW_TAG_array_type && !dwarf_hasattr(t, DW_AT_GNU_vector);
}

static int natural_align(Dwarf_Die *t, unsigned *align, int depth, char *why, size_t cap);

/* The alignment a member (or array element) of type chain TYPE gets: an
 * _Alignas or aligned attribute on DIE itself or on a typedef in the
 * chain wins over the type's own. */
static int declared_align(Dwarf_Die *die, Dwarf_Die *type, unsigned *align,
			  int depth, char *why, size_t cap)
{
	Dwarf_Word a;
	if (die && udata(die, DW_AT_alignment, &a)) {
		*align = (unsigned)a;
		return 0;
	}
	Dwarf_Die cur = *type;
	for (int i = 0; i < MAX_DEPTH; i++) {
		if (udata(&cur, DW_AT_alignment, &a)) {
			*align = (unsigned)a;
			return 0;
		}
		int tag = dwarf_tag(&cur);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type && tag != DW_TAG_restrict_type &&
		    tag != DW_TAG_atomic_type)
			return natural_align(&cur, align, depth + 1, why, cap);
		if (!type_of(&cur, &cur))
			return unsupported(why, cap, type, "has no size");
	}
	return unsupported(why, cap, type, "is nested too deeply");
}

/* Where a non-bit-field member starts, in bytes from its aggregate. */
static int member_offset(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute attr;
	*off = 0;
	if (!dwarf_attr(m, DW_AT_data_member_location, &attr)) {
		Dwarf_Word bits;
		if (udata(m, DW_AT_data_bit_offset, &bits))
			*off = bits / 8;
		return 0;   /* a union member: at 0 */
	}
	if (dwarf_formudata(&attr, off) == 0)
		return 0;
	/* DWARF 2 spells it DW_OP_plus_uconst N; anything else is a virtual
	 * base, found at run time. */
	Dwarf_Op *ops;
	size_t nops;
	if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return 0;
	}
	return -1;
}

static bool is_data_member(Dwarf_Die *m)
{
	int tag = dwarf_tag(m);
	if (tag != DW_TAG_member && tag != DW_TAG_inheritance)
		return false;
	/* C++ static members are DW_TAG_member declarations in DWARF 4. */
	return !dwarf_hasattr(m, DW_AT_declaration) && !dwarf_hasattr(m, DW_AT_external);
}

/* The alignment of an aggregate with no DW_AT_alignment: its largest
 * member's. DWARF does not record __attribute__((packed)); a member off
 * its alignment, or a size that is not a multiple of it, shows it. */
static int aggregate_align(Dwarf_Die *t, unsigned *align, int depth, char *why, size_t cap)
{
	Dwarf_Word size = 0;
	udata(t, DW_AT_byte_size, &size);
	unsigned a = 1;
	bool packed = false;
	Dwarf_Die m;
	if (dwarf_child(t, &m) != 0)
		goto done;
	do {
		if (!is_data_member(&m))
			continue;
		Dwarf_Die type;
		if (!type_of(&m, &type))
			return unsupported(why, cap, t, "has a member without a type");
		unsigned ma;
		int rc = declared_align(&m, &type, &ma, depth, why, cap);
		if (rc)
			return rc;
		Dwarf_Word off;
		if (dwarf_hasattr(&m, DW_AT_bit_size)) {
			if (ma > a)
				a = ma;
			continue;
		}
		if (member_offset(&m, &off) != 0)
			return unsupported(why, cap, t, "has a virtual base");
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

static int natural_align(Dwarf_Die *t, unsigned *align, int depth, char *why, size_t cap)
{
	if (depth > MAX_DEPTH)
		return unsupported(why, cap, t, "is nested too deeply");
	Dwarf_Word a;
	if (udata(t, DW_AT_alignment, &a)) {
		*align = (unsigned)a;
		return 0;
	}
	if (is_aggregate(t))
		return aggregate_align(t, align, depth, why, cap);
	if (is_plain_array(t)) {
		Dwarf_Die elem;
		if (!type_of(t, &elem))
			return unsupported(why, cap, t, "has no element type");
		return declared_align(NULL, &elem, align, depth, why, cap);
	}
	struct scalar s;
	int rc = scalar_of(t, &s, why, cap);
	*align = s.align;
	return rc;
}

/* psABI 3.2.3, step 4 of the aggregate algorithm. */
static enum sysv_class merge(enum sysv_class a, enum sysv_class b)
{
	if (a == b)
		return a;
	if (a == SYSV_NO_CLASS)
		return b;
	if (b == SYSV_NO_CLASS)
		return a;
	if (a == SYSV_MEMORY || b == SYSV_MEMORY)
		return SYSV_MEMORY;
	if (a == SYSV_INTEGER || b == SYSV_INTEGER)
		return SYSV_INTEGER;
	if (a == SYSV_X87 || a == SYSV_X87UP || a == SYSV_COMPLEX_X87 ||
	    b == SYSV_X87 || b == SYSV_X87UP || b == SYSV_COMPLEX_X87)
		return SYSV_MEMORY;
	return SYSV_SSE;
}

static void mark(struct walk *w, unsigned long word, enum sysv_class c)
{
	if (word < MAX_WORDS)
		w->cls[word] = merge(w->cls[word], c);
}

static int walk_type(struct walk *w, Dwarf_Die *type, unsigned long off, int depth);

/* A bit-field is INTEGER in every eightbyte it touches. */
static void walk_bitfield(struct walk *w, Dwarf_Die *m, unsigned long off)
{
	Dwarf_Word bits = 0, loc = 0, storage = 0, msb_offset, bitpos;
	udata(m, DW_AT_bit_size, &bits);
	if (!bits)
		return;
	if (udata(m, DW_AT_data_bit_offset, &bitpos)) {
		/* DWARF 4 and later: bits from the aggregate's start. */
	} else {
		member_offset(m, &loc);
		bitpos = loc * 8;
		/* DWARF 2/3: counted from the most significant bit of a
		 * storage unit of DW_AT_byte_size bytes. */
		if (udata(m, DW_AT_bit_offset, &msb_offset) &&
		    udata(m, DW_AT_byte_size, &storage))
			bitpos += storage * 8 - msb_offset - bits;
	}
	unsigned long first = off * 8 + bitpos;
	for (unsigned long word = first / 64; word <= (first + bits - 1) / 64; word++)
		mark(w, word, SYSV_INTEGER);
}

/* A member declared "type name[]": its array has no bounds at all. */
static bool is_flexible_array(Dwarf_Die *member)
{
	Dwarf_Die type, t, dim;
	if (!type_of(member, &type) || peel(&type, &t) != 0 ||
	    !is_plain_array(&t) || dwarf_child(&t, &dim) != 0)
		return false;
	return !dwarf_hasattr(&dim, DW_AT_count) && !dwarf_hasattr(&dim, DW_AT_upper_bound);
}

static int walk_members(struct walk *w, Dwarf_Die *t, unsigned long off, int depth)
{
	Dwarf_Die m;
	if (dwarf_child(t, &m) != 0)
		return 0;
	do {
		if (!is_data_member(&m))
			continue;
		if (dwarf_hasattr(&m, DW_AT_bit_size)) {
			walk_bitfield(w, &m, off);
			continue;
		}
		/* clang passes a struct with a flexible array member in
		 * memory, "as variable sized"; GCC ignores the member. */
		if (w->clang_major && is_flexible_array(&m)) {
			mark(w, off / 8, SYSV_MEMORY);
			continue;
		}
		Dwarf_Word at;
		Dwarf_Die type;
		if (member_offset(&m, &at) != 0)
			return unsupported(w->why, w->whycap, t, "has a virtual base");
		if (!type_of(&m, &type))
			return unsupported(w->why, w->whycap, t, "has a member without a type");
		/* clang checks every field, not only the scalars inside, against
		 * the alignment of its type. */
		unsigned align;
		if (w->clang_major) {
			int rc = declared_align(NULL, &type, &align, depth, w->why, w->whycap);
			if (rc)
				return rc;
			if (align && (off + at) % align)
				w->misaligned = true;
		}
		int rc = walk_type(w, &type, off + at, depth + 1);
		if (rc)
			return rc;
	} while (dwarf_siblingof(&m, &m) == 0);
	return 0;
}

/* Merge the classes of every field of TYPE, placed at byte OFF, into W. */
static int walk_type(struct walk *w, Dwarf_Die *type, unsigned long off, int depth)
{
	Dwarf_Die t;
	if (depth > MAX_DEPTH || peel(type, &t) != 0)
		return unsupported(w->why, w->whycap, type, "cannot be read");
	if (is_aggregate(&t))
		return walk_members(w, &t, off, depth);
	if (is_plain_array(&t)) {
		Dwarf_Die elem;
		Dwarf_Word total, each;
		if (!type_of(&t, &elem) || type_size(&t, &total) != 0 ||
		    type_size(&elem, &each) != 0)
			return unsupported(w->why, w->whycap, &t, "has no size");
		for (Dwarf_Word at = 0; each && at < total; at += each) {
			int rc = walk_type(w, &elem, off + at, depth + 1);
			if (rc)
				return rc;
		}
		return 0;
	}
	struct scalar s;
	int rc = scalar_of(&t, &s, w->why, w->whycap);
	if (rc)
		return rc;
	/* GCC checks each scalar against its type's natural alignment, from
	 * the start of the whole argument. */
	if (s.align && off % s.align)
		w->misaligned = true;
	/* Before LLVM 18, clang passed any aggregate holding a __float128 in
	 * memory (LLVM issue 74601). */
	if (s.float128 && w->clang_major && w->clang_major < 18)
		mark(w, off / 8, SYSV_MEMORY);
	/* A complex is two fields: at 4, a _Complex int's imaginary part is
	 * in the next eightbyte. */
	unsigned long first = off / 8, last = (off + s.size - 1) / 8;
	for (unsigned long word = first; s.size && word <= last; word++)
		mark(w, word, s.cls[word - first < s.words ? word - first : s.words - 1]);
	return 0;
}

/* psABI 3.2.3, step 5: the post-merger cleanup. */
static int classify_aggregate(Dwarf_Die *t, int clang_major,
			      struct sysv_type *out, char *why, size_t cap)
{
	unsigned words = (unsigned)((out->size + 7) / 8);
	if (out->size > MAX_WORDS * 8) {
		out->memory = true;
		return 0;
	}
	struct walk w = { .why = why, .whycap = cap, .clang_major = clang_major };
	int rc = walk_members(&w, t, 0, 0);
	if (rc)
		return rc;
	bool memory = w.misaligned;
	for (unsigned i = 0; i < words; i++) {
		if (w.cls[i] == SYSV_MEMORY)
			memory = true;
		if (w.cls[i] == SYSV_X87UP && (i == 0 || w.cls[i - 1] != SYSV_X87))
			memory = true;
	}
	if (!memory && words > 2) {
		bool one_vector = w.cls[0] == SYSV_SSE;
		for (unsigned i = 1; i < words; i++)
			one_vector = one_vector && w.cls[i] == SYSV_SSEUP;
		if (one_vector)
			return unsupported(why, cap, t, "holds a wide vector, passed in "
					   "registers only when built with AVX");
		memory = true;
	}
	if (memory) {
		out->memory = true;
		return 0;
	}
	for (unsigned i = 0; i < words; i++) {
		if (w.cls[i] == SYSV_SSEUP && (i == 0 || (w.cls[i - 1] != SYSV_SSE &&
							  w.cls[i - 1] != SYSV_SSEUP)))
			w.cls[i] = SYSV_SSE;
		out->classes[i] = w.cls[i];
	}
	out->eightbytes = words;
	return 0;
}

static bool has_x87(const struct sysv_type *t)
{
	for (unsigned i = 0; i < t->eightbytes; i++)
		if (t->classes[i] == SYSV_X87 || t->classes[i] == SYSV_X87UP ||
		    t->classes[i] == SYSV_COMPLEX_X87)
			return true;
	return false;
}

static int classify_scalar(Dwarf_Die *t, bool as_return, int clang_major,
			   struct sysv_type *out, char *why, size_t cap)
{
	struct scalar s;
	int rc = scalar_of(t, &s, why, cap);
	if (rc)
		return rc;
	out->size = s.size;
	out->align = s.align;
	out->int128 = s.int128;
	if (s.words > 2) {
		/* long double _Complex comes back in st0:st1; the rest is
		 * larger than two eightbytes: memory. */
		if (as_return && s.unsure_return)
			return unsupported(why, cap, t, "may be long double's or "
					   "_Float128's complex: returned differently");
		if (as_return && s.cls[0] == SYSV_COMPLEX_X87)
			out->eightbytes = 0;
		else
			out->memory = true;
		return 0;
	}
	if (s.cls[0] == SYSV_MEMORY) {
		/* A vector of one double: clang returns it in xmm0, GCC in
		 * memory; both pass it in memory. */
		if (as_return && clang_major) {
			out->eightbytes = 1;
			out->classes[0] = SYSV_SSE;
			return 0;
		}
		out->memory = true;
		return 0;
	}
	out->eightbytes = s.words;
	for (unsigned i = 0; i < s.words; i++)
		out->classes[i] = s.cls[i];
	return 0;
}

int sysv_classify(Dwarf_Die *type, bool as_return, int clang_major,
		  struct sysv_type *out, char *why, size_t whycap)
{
	memset(out, 0, sizeof *out);
	out->align = 1;
	Dwarf_Die t;
	int peeled = peel(type, &t);
	if (peeled == 1 && as_return)
		return 0;   /* void */
	if (peeled != 0)
		return unsupported(why, whycap, type, "cannot be read");

	if (is_plain_array(&t) && !as_return) {
		/* An array parameter is a pointer (C11 6.7.6.3). */
		out->size = out->align = 8;
		out->eightbytes = 1;
		out->classes[0] = SYSV_INTEGER;
		return 0;
	}
	if (!is_aggregate(&t)) {
		int rc = classify_scalar(&t, as_return, clang_major, out, why, whycap);
		if (rc == 0 && !as_return && has_x87(out)) {
			out->memory = true;   /* long double: always on the stack */
			out->eightbytes = 0;
		}
		return rc;
	}

	if (dwarf_hasattr(&t, DW_AT_declaration))
		return unsupported(why, whycap, &t, "is incomplete here");
	Dwarf_Word size = 0, cc = 0;
	if (type_size(&t, &size) != 0)
		return unsupported(why, whycap, &t, "has no size");
	out->size = size;
	int rc = natural_align(&t, &out->align, 0, why, whycap);
	if (rc)
		return rc;
	/* C++: a class with a non-trivial copy or destructor travels as a
	 * pointer to a copy (and is returned through one). */
	if (udata(&t, DW_AT_calling_convention, &cc) && cc == DW_CC_pass_by_reference) {
		if (as_return) {
			out->memory = true;
		} else {
			out->size = out->align = 8;
			out->eightbytes = 1;
			out->classes[0] = SYSV_INTEGER;
		}
		return 0;
	}
	if (size == 0)
		return 0;   /* an empty struct (GNU C) is not passed at all */
	rc = classify_aggregate(&t, clang_major, out, why, whycap);
	if (rc == 0 && !as_return && has_x87(out)) {
		out->memory = true;
		out->eightbytes = 0;
	}
	return rc;
}

void sysv_type_name(Dwarf_Die *type, char *buf, size_t cap)
{
	const char *name = dwarf_diename(type);
	const char *kind = "";
	Dwarf_Die inner;
	switch (dwarf_tag(type)) {
	case DW_TAG_structure_type: kind = "struct "; break;
	case DW_TAG_class_type:     kind = "class "; break;
	case DW_TAG_union_type:     kind = "union "; break;
	case DW_TAG_enumeration_type: kind = "enum "; break;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_atomic_type:
		if (type_of(type, &inner)) {
			sysv_type_name(&inner, buf, cap);
			return;
		}
		break;
	case DW_TAG_pointer_type:
		name = name ? name : "pointer";
		break;
	case DW_TAG_array_type:
		name = name ? name : dwarf_hasattr(type, DW_AT_GNU_vector) ?
			"vector" : "array";
		break;
	}
	snprintf(buf, cap, "%s%s", kind, name ? name : "(anonymous)");
}
