/* Classification of a DWARF type for the System V x86-64 calling
 * convention. psABI 3.2.3 in short: a scalar has the class of its kind
 * (INTEGER, SSE, X87...); an aggregate of at most 16 bytes is split into
 * eightbytes, each taking the merged class of the fields that overlap it;
 * anything larger, or holding an unaligned field, goes in memory. Where
 * clang differs from GCC and the psABI, its rules apply to what clang
 * built (the walk's clang_major). */
#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dwarf_type.h"
#include "sysv_class.h"

/* Classes of the eightbytes of an aggregate being walked. */
struct walk {
	enum sysv_class cls[SYSV_MAX_WORDS];
	bool misaligned;
	int clang_major;
	char *why;
	size_t whycap;
};

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
	if (word < SYSV_MAX_WORDS)
		w->cls[word] = merge(w->cls[word], c);
}

static int walk_type(struct walk *w, Dwarf_Die *type, unsigned long off, int depth);
static int walk_nested(struct walk *w, Dwarf_Die *t, unsigned long off, int depth);

/* A bit-field is INTEGER in every eightbyte it touches. GCC lays out one
 * of 8, 16, 32 or 64 bits that sits on a multiple of its width as an
 * ordinary integer field (layout_decl in its stor-layout.c; in a packed
 * struct only if 8 bits wide), so that it is checked for alignment like
 * any other field; clang never checks a bit-field. */
static void walk_bitfield(struct walk *w, Dwarf_Die *m, unsigned long off,
			  bool packed)
{
	Dwarf_Word bitpos, bits;
	dtype_bitfield_place(m, &bitpos, &bits);
	if (!bits)
		return;
	unsigned long first = off * 8 + bitpos;
	bool plain = (bits == 8 || bits == 16 || bits == 32 || bits == 64) &&
		     bitpos % bits == 0 && (!packed || bits == 8);
	if (!w->clang_major && plain && first % bits)
		w->misaligned = true;
	for (unsigned long word = first / 64; word <= (first + bits - 1) / 64; word++)
		mark(w, word, SYSV_INTEGER);
}

static int walk_members(struct walk *w, Dwarf_Die *t, unsigned long off, int depth)
{
	Dwarf_Die m;
	if (dwarf_child(t, &m) != 0)
		return 0;
	/* Packed, as far as DWARF shows (see sysv_layout.c). */
	unsigned own_align;
	int rc = sysv_natural_align(t, &own_align, depth, w->why, w->whycap);
	if (rc)
		return rc;
	do {
		if (!dtype_is_data_member(&m))
			continue;
		if (dwarf_hasattr(&m, DW_AT_bit_size)) {
			walk_bitfield(w, &m, off, own_align == 1);
			continue;
		}
		/* clang passes a struct with a flexible array member in
		 * memory, "as variable sized"; GCC ignores the member. */
		if (w->clang_major && dtype_is_flexible_array(&m)) {
			mark(w, off / 8, SYSV_MEMORY);
			continue;
		}
		Dwarf_Word at;
		Dwarf_Die type;
		if (dtype_member_offset(&m, &at) != 0)
			return dtype_refuse(w->why, w->whycap, t, "has a virtual base");
		if (!dtype_of(&m, &type))
			return dtype_refuse(w->why, w->whycap, t, "has a member without a type");
		/* clang checks every field, not only the scalars inside, against
		 * the alignment of its type. */
		unsigned align;
		if (w->clang_major) {
			rc = sysv_declared_align(NULL, &type, &align, depth, w->why, w->whycap);
			if (rc)
				return rc;
			if (align && (off + at) % align)
				w->misaligned = true;
		}
		rc = walk_type(w, &type, off + at, depth + 1);
		if (rc)
			return rc;
	} while (dwarf_siblingof(&m, &m) == 0);
	return 0;
}

/* A struct or union inside the argument is classified as a whole first,
 * cleanup included (as GCC's classify_argument and clang's classify do at
 * every level): a union of a long double and an integer is memory even
 * inside something else. */
static int walk_nested(struct walk *w, Dwarf_Die *t, unsigned long off, int depth)
{
	struct walk sub = { .clang_major = w->clang_major, .why = w->why,
			    .whycap = w->whycap };
	int rc = walk_members(&sub, t, off, depth);
	if (rc)
		return rc;
	w->misaligned |= sub.misaligned;
	Dwarf_Word size = 0;
	dtype_size(t, &size);
	unsigned long first = off / 8, last = size ? (off + size - 1) / 8 : first;
	if (last >= SYSV_MAX_WORDS)
		last = SYSV_MAX_WORDS - 1;
	for (unsigned long word = first; word <= last; word++) {
		enum sysv_class before = word > first ? sub.cls[word - 1] : SYSV_NO_CLASS;
		if (sub.cls[word] == SYSV_MEMORY ||
		    (sub.cls[word] == SYSV_X87UP && before != SYSV_X87)) {
			mark(w, first, SYSV_MEMORY);
			return 0;
		}
	}
	for (unsigned long word = first; word <= last; word++) {
		enum sysv_class c = sub.cls[word];
		enum sysv_class before = word > first ? sub.cls[word - 1] : SYSV_NO_CLASS;
		if (c == SYSV_SSEUP && before != SYSV_SSE && before != SYSV_SSEUP)
			c = SYSV_SSE;
		mark(w, word, c);
	}
	return 0;
}

/* Merge the classes of every field of TYPE, placed at byte OFF, into W. */
static int walk_type(struct walk *w, Dwarf_Die *type, unsigned long off, int depth)
{
	Dwarf_Die t;
	if (depth > DTYPE_MAX_DEPTH || dtype_peel(type, &t) != 0)
		return dtype_refuse(w->why, w->whycap, type, "cannot be read");
	if (dtype_is_aggregate(&t))
		return walk_nested(w, &t, off, depth);
	if (dtype_is_array(&t)) {
		Dwarf_Die elem;
		Dwarf_Word total, each;
		if (!dtype_of(&t, &elem) || dtype_size(&t, &total) != 0 ||
		    dtype_size(&elem, &each) != 0)
			return dtype_refuse(w->why, w->whycap, &t, "has no size");
		for (Dwarf_Word at = 0; each && at < total; at += each) {
			int rc = walk_type(w, &elem, off + at, depth + 1);
			if (rc)
				return rc;
		}
		/* GCC classifies a zero-length array (GNU C's "[0]") as one
		 * element when it does not start an eightbyte: checked for
		 * alignment, and its class counted there. */
		if (!w->clang_major && total == 0 && off % 8 && !dtype_is_unbounded(&t))
			return walk_type(w, &elem, off, depth + 1);
		return 0;
	}
	struct sysv_scalar s;
	int rc = sysv_scalar_of(&t, &s, w->why, w->whycap);
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
	if (out->size > SYSV_MAX_WORDS * 8) {
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
			return dtype_refuse(why, cap, t, "holds a wide vector, passed in "
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

static bool has_flexible_member(Dwarf_Die *t)
{
	Dwarf_Die m;
	if (dwarf_child(t, &m) != 0)
		return false;
	do {
		if (dtype_is_data_member(&m) && dtype_is_flexible_array(&m))
			return true;
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
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
	struct sysv_scalar s;
	int rc = sysv_scalar_of(t, &s, why, cap);
	if (rc)
		return rc;
	out->size = s.size;
	out->align = s.align;
	out->int128 = s.int128;
	if (s.words > 2) {
		/* long double _Complex comes back in st0:st1; the rest is
		 * larger than two eightbytes: memory. */
		if (as_return && s.unsure_return)
			return dtype_refuse(why, cap, t, "may be long double's or "
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
	int peeled = dtype_peel(type, &t);
	if (peeled == 1 && as_return)
		return 0;   /* void */
	if (peeled != 0)
		return dtype_refuse(why, whycap, type, "cannot be read");

	if (dtype_is_array(&t) && !as_return) {
		/* An array parameter is a pointer (C11 6.7.6.3). */
		out->size = out->align = 8;
		out->eightbytes = 1;
		out->classes[0] = SYSV_INTEGER;
		return 0;
	}
	if (!dtype_is_aggregate(&t)) {
		int rc = classify_scalar(&t, as_return, clang_major, out, why, whycap);
		if (rc == 0 && !as_return && has_x87(out)) {
			out->memory = true;   /* long double: always on the stack */
			out->eightbytes = 0;
		}
		return rc;
	}

	if (dwarf_hasattr(&t, DW_AT_declaration))
		return dtype_refuse(why, whycap, &t, "is incomplete here");
	Dwarf_Word size = 0, cc = 0;
	if (dtype_size(&t, &size) != 0)
		return dtype_refuse(why, whycap, &t, "has no size");
	out->size = size;
	int rc = sysv_natural_align(&t, &out->align, 0, why, whycap);
	if (rc)
		return rc;
	/* C++: a class with a non-trivial copy or destructor travels as a
	 * pointer to a copy (and is returned through one). */
	if (dtype_udata(&t, DW_AT_calling_convention, &cc) && cc == DW_CC_pass_by_reference) {
		if (as_return) {
			out->memory = true;
		} else {
			out->size = out->align = 8;
			out->eightbytes = 1;
			out->classes[0] = SYSV_INTEGER;
		}
		return 0;
	}
	if (clang_major && has_flexible_member(&t)) {
		/* clang: "variable sized", so in memory; LLVM gives a value
		 * passed that way at least 8 bytes, even an empty one. */
		out->memory = true;
		if (out->size < 8)
			out->size = 8;
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
