/* The running program's debug information (DWARF, read with elfutils'
 * libdwfl): from the address of a function to the DIE of its definition,
 * in the main program or in any shared library it has loaded.
 *
 * One libdwfl session serves every lookup. It is kept between calls and
 * guarded by a mutex, so a visitor runs with the lock held and must not
 * keep DIEs after it returns. Normal context only: it opens files and
 * allocates, so it runs when a function is exported, never in the fault
 * handler. */
#ifndef PF_DEBUG_INFO_H
#define PF_DEBUG_INFO_H

#include "ident/libdw_api.h"
#include <stddef.h>

/* A function's definition as the debug information describes it. */
struct debug_fn {
	Dwarf_Die die;        /* its DW_TAG_subprogram (the one at its entry) */
	const char *name;     /* its name, for messages; never NULL */
	const char *module;   /* the file it was loaded from */
	int clang_major;      /* the clang that compiled it (0: not clang) */
};

typedef int debug_fn_visitor(const struct debug_fn *fn, void *arg);

/* Find the definition of the function whose code starts at FN and call
 * VISIT with it (lock held); return what VISIT returns. -ENOENT when no
 * debug information describes it, with WHY (WHYCAP bytes) saying why and
 * what to do; -ENOMEM. */
int debug_info_visit(const void *fn, debug_fn_visitor *visit, void *arg,
		     char *why, size_t whycap);

/* The major version in a DW_AT_producer such as "Debian clang version
 * 14.0.6", or 0 when PRODUCER is not clang's. */
int debug_info_clang_major(const char *producer);

#endif
