#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dwarf_type.h"

int dtype_refuse(char *why, size_t cap, Dwarf_Die *type, const char *what)
{
	char name[96];
	if (dwarf_diename(type)) {
		dtype_name(type, name, sizeof name);
		snprintf(why, cap, "type '%s' %s", name, what);
	} else {
		snprintf(why, cap, "its type %s", what);
	}
	return -ENOTSUP;
}

int dtype_peel(Dwarf_Die *type, Dwarf_Die *out)
{
	*out = *type;
	for (int depth = 0; depth < DTYPE_MAX_DEPTH; depth++) {
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

bool dtype_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	return dwarf_attr_integrate(die, DW_AT_type, &attr) &&
	       dwarf_formref_die(&attr, out);
}

bool dtype_udata(Dwarf_Die *die, unsigned name, Dwarf_Word *out)
{
	Dwarf_Attribute attr;
	return dwarf_attr(die, name, &attr) && dwarf_formudata(&attr, out) == 0;
}

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
		if (dtype_udata(&dim, DW_AT_count, &n)) {
			count *= n;
		} else if (dtype_udata(&dim, DW_AT_upper_bound, &upper)) {
			dtype_udata(&dim, DW_AT_lower_bound, &lower);
			count *= upper + 1 - lower;
		} else {
			return 0;
		}
	} while (dwarf_siblingof(&dim, &dim) == 0);
	return count;
}

/* Bytes of TYPE. dwarf_aggregate_size needs DW_AT_byte_size on the
 * elements of an array, which clang leaves off pointer types. */
int dtype_size(Dwarf_Die *type, Dwarf_Word *size)
{
	Dwarf_Die t, elem, target;
	if (dtype_peel(type, &t) != 0)
		return -1;
	if (dtype_udata(&t, DW_AT_byte_size, size))
		return 0;
	switch (dwarf_tag(&t)) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		*size = 8;
		return 0;
	case DW_TAG_ptr_to_member_type:
		*size = dtype_of(&t, &target) && dtype_peel(&target, &target) == 0 &&
			dwarf_tag(&target) == DW_TAG_subroutine_type ? 16 : 8;
		return 0;
	case DW_TAG_array_type:
		if (!dtype_of(&t, &elem) || dtype_size(&elem, size) != 0)
			return -1;
		*size *= array_count(&t);
		return 0;
	}
	return dwarf_aggregate_size(&t, size);
}

bool dtype_name_has(Dwarf_Die *die, const char *part)
{
	const char *name = dwarf_diename(die);
	return name && strstr(name, part);
}

bool dtype_is_aggregate(Dwarf_Die *t)
{
	int tag = dwarf_tag(t);
	return tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
	       tag == DW_TAG_union_type;
}

bool dtype_is_array(Dwarf_Die *t)
{
	return dwarf_tag(t) == DW_TAG_array_type && !dwarf_hasattr(t, DW_AT_GNU_vector);
}

int dtype_member_offset(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute attr;
	*off = 0;
	if (!dwarf_attr(m, DW_AT_data_member_location, &attr)) {
		Dwarf_Word bits;
		if (dtype_udata(m, DW_AT_data_bit_offset, &bits))
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

bool dtype_is_data_member(Dwarf_Die *m)
{
	int tag = dwarf_tag(m);
	if (tag != DW_TAG_member && tag != DW_TAG_inheritance)
		return false;
	/* C++ static members are DW_TAG_member declarations in DWARF 4. */
	return !dwarf_hasattr(m, DW_AT_declaration) && !dwarf_hasattr(m, DW_AT_external);
}

bool dtype_is_unbounded(Dwarf_Die *array)
{
	Dwarf_Die dim;
	return dtype_is_array(array) && dwarf_child(array, &dim) == 0 &&
	       !dwarf_hasattr(&dim, DW_AT_count) && !dwarf_hasattr(&dim, DW_AT_upper_bound);
}

bool dtype_is_flexible_array(Dwarf_Die *member)
{
	Dwarf_Die type, t;
	return dtype_of(member, &type) && dtype_peel(&type, &t) == 0 &&
	       dtype_is_unbounded(&t);
}

void dtype_bitfield_place(Dwarf_Die *m, Dwarf_Word *bitpos, Dwarf_Word *bits)
{
	Dwarf_Word loc = 0, storage = 0, msb_offset;
	*bits = 0;
	dtype_udata(m, DW_AT_bit_size, bits);
	if (dtype_udata(m, DW_AT_data_bit_offset, bitpos))
		return;   /* DWARF 4 and later: bits from the aggregate's start */
	dtype_member_offset(m, &loc);
	*bitpos = loc * 8;
	/* DWARF 2 and 3: counted from the most significant bit of a storage
	 * unit of DW_AT_byte_size bytes. */
	if (dtype_udata(m, DW_AT_bit_offset, &msb_offset) &&
	    dtype_udata(m, DW_AT_byte_size, &storage))
		*bitpos += storage * 8 - msb_offset - *bits;
}

void dtype_name(Dwarf_Die *type, char *buf, size_t cap)
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
		if (dtype_of(type, &inner)) {
			dtype_name(&inner, buf, cap);
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
