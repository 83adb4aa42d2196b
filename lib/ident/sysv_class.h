/* How the System V x86-64 psABI (section 3.2.3, "Parameter Passing")
 * passes a value of a type that DWARF describes: in which class of
 * register each eightbyte goes, or whether the whole value goes in memory.
 * The rules are the psABI's, with the cases where GCC and clang are the
 * reference stated where they are applied. */
#ifndef PF_SYSV_CLASS_H
#define PF_SYSV_CLASS_H

#include "ident/libdw_api.h"
#include <stdbool.h>
#include <stddef.h>
#include "sysv_layout.h"

struct sysv_type {
	unsigned long size;   /* bytes */
	unsigned align;       /* bytes: where it sits when passed on the stack
				 (the type's own alignment; at least 1) */
	bool memory;          /* passed (or returned) in memory */
	unsigned eightbytes;  /* in registers: how many of classes[] (0 for an
				 empty struct, which is not passed at all) */
	enum sysv_class classes[2];
	bool int128;          /* a plain __int128: not every compiler passes
				 it as the psABI says (see stack_bytes.c) */
};

/* Classify TYPE (a DWARF type DIE) as an argument, or with AS_RETURN as a
 * return value, as the compiler that built it does: CLANG_MAJOR is clang's
 * major version, 0 for GCC and the psABI. 0, or -ENOTSUP with WHY (WHYCAP
 * bytes) naming what in the type cannot be classified. */
int sysv_classify(Dwarf_Die *type, bool as_return, int clang_major,
		  struct sysv_type *out, char *why, size_t whycap);

#endif
