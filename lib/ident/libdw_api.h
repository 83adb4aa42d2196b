/* libdw (elfutils), opened when first needed rather than linked.
 *
 * libdw depends on zlib, liblzma and libbz2. Linked, it would put them in
 * every program that uses pfipc — and a program that serves one of those
 * very libraries from a process (pfwrap) would then send pfipc's own
 * calls into it through pfipc. Opened on demand, at the first export that
 * needs debug information, with its dependencies bound to its own (not the
 * program's) definitions where the C library allows it.
 *
 * Include this instead of <elfutils/libdw.h>: each function below then
 * calls through the table that libdw_open fills. */
#ifndef PF_LIBDW_API_H
#define PF_LIBDW_API_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

struct libdw_api {
	__typeof__(dwarf_tag) *dwarf_tag;
	__typeof__(dwarf_hasattr) *dwarf_hasattr;
	__typeof__(dwarf_attr) *dwarf_attr;
	__typeof__(dwarf_child) *dwarf_child;
	__typeof__(dwarf_siblingof) *dwarf_siblingof;
	__typeof__(dwarf_formstring) *dwarf_formstring;
	__typeof__(dwarf_formref_die) *dwarf_formref_die;
	__typeof__(dwarf_attr_integrate) *dwarf_attr_integrate;
	__typeof__(dwarf_formudata) *dwarf_formudata;
	__typeof__(dwarf_diename) *dwarf_diename;
	__typeof__(dwarf_hasattr_integrate) *dwarf_hasattr_integrate;
	__typeof__(dwarf_srclang) *dwarf_srclang;
	__typeof__(dwarf_ranges) *dwarf_ranges;
	__typeof__(dwarf_haspc) *dwarf_haspc;
	__typeof__(dwarf_getscopes) *dwarf_getscopes;
	__typeof__(dwarf_getlocation) *dwarf_getlocation;
	__typeof__(dwarf_diecu) *dwarf_diecu;
	__typeof__(dwarf_aggregate_size) *dwarf_aggregate_size;
	__typeof__(dwfl_module_nextcu) *dwfl_module_nextcu;
	__typeof__(dwfl_report_end) *dwfl_report_end;
	__typeof__(dwfl_report_elf) *dwfl_report_elf;
	__typeof__(dwfl_report_begin_add) *dwfl_report_begin_add;
	__typeof__(dwfl_module_getdwarf) *dwfl_module_getdwarf;
	__typeof__(dwfl_module_addrinfo) *dwfl_module_addrinfo;
	__typeof__(dwfl_module_addrdie) *dwfl_module_addrdie;
	__typeof__(dwfl_errmsg) *dwfl_errmsg;
	__typeof__(dwfl_end) *dwfl_end;
	__typeof__(dwfl_build_id_find_debuginfo) *dwfl_build_id_find_debuginfo;
	__typeof__(dwfl_begin) *dwfl_begin;
	__typeof__(dwfl_addrmodule) *dwfl_addrmodule;
};

extern struct libdw_api libdw_api;

/* Open libdw once (normal context). 0, or -ENOENT when it cannot be
 * loaded (then WHY says so). Thread-safe. */
int libdw_open(const char **why);

#ifndef LIBDW_API_TABLE
#define dwarf_tag (libdw_api.dwarf_tag)
#define dwarf_hasattr (libdw_api.dwarf_hasattr)
#define dwarf_attr (libdw_api.dwarf_attr)
#define dwarf_child (libdw_api.dwarf_child)
#define dwarf_siblingof (libdw_api.dwarf_siblingof)
#define dwarf_formstring (libdw_api.dwarf_formstring)
#define dwarf_formref_die (libdw_api.dwarf_formref_die)
#define dwarf_attr_integrate (libdw_api.dwarf_attr_integrate)
#define dwarf_formudata (libdw_api.dwarf_formudata)
#define dwarf_diename (libdw_api.dwarf_diename)
#define dwarf_hasattr_integrate (libdw_api.dwarf_hasattr_integrate)
#define dwarf_srclang (libdw_api.dwarf_srclang)
#define dwarf_ranges (libdw_api.dwarf_ranges)
#define dwarf_haspc (libdw_api.dwarf_haspc)
#define dwarf_getscopes (libdw_api.dwarf_getscopes)
#define dwarf_getlocation (libdw_api.dwarf_getlocation)
#define dwarf_diecu (libdw_api.dwarf_diecu)
#define dwarf_aggregate_size (libdw_api.dwarf_aggregate_size)
#define dwfl_module_nextcu (libdw_api.dwfl_module_nextcu)
#define dwfl_report_end (libdw_api.dwfl_report_end)
#define dwfl_report_elf (libdw_api.dwfl_report_elf)
#define dwfl_report_begin_add (libdw_api.dwfl_report_begin_add)
#define dwfl_module_getdwarf (libdw_api.dwfl_module_getdwarf)
#define dwfl_module_addrinfo (libdw_api.dwfl_module_addrinfo)
#define dwfl_module_addrdie (libdw_api.dwfl_module_addrdie)
#define dwfl_errmsg (libdw_api.dwfl_errmsg)
#define dwfl_end (libdw_api.dwfl_end)
#define dwfl_build_id_find_debuginfo (libdw_api.dwfl_build_id_find_debuginfo)
#define dwfl_begin (libdw_api.dwfl_begin)
#define dwfl_addrmodule (libdw_api.dwfl_addrmodule)

#endif

#endif
