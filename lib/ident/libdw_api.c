#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/auxv.h>
/* The table itself: no macros over its field names here. */
#define LIBDW_API_TABLE
#include "ident/libdw_api.h"

struct libdw_api libdw_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *open_error;

/* Under AddressSanitizer or ThreadSanitizer dlopen refuses RTLD_DEEPBIND;
 * there the library's dependencies bind as the program's do. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DEEPBIND 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DEEPBIND 0
#endif
#endif
#ifndef DEEPBIND
#define DEEPBIND RTLD_DEEPBIND
#endif

static void open_once(void)
{
	/* A statically linked program has no dynamic loader (no AT_BASE) and
	 * its own copy of the C library: libdw, loaded with dlopen, would
	 * bring a second C library along, with its own malloc, and crash in
	 * it. There stack bytes are taken as declared. */
	if (getauxval(AT_BASE) == 0) {
		open_error = "libdw.so.1 (elfutils) cannot be loaded into a statically linked program";
		return;
	}
	void *h = dlopen("libdw.so.1", RTLD_LAZY | RTLD_LOCAL | DEEPBIND);
	if (!h) {
		open_error = "libdw.so.1 (elfutils) cannot be loaded";
		return;
	}
	struct { const char *name; void **slot; } table[] = {
		{ "dwarf_tag", (void **)&libdw_api.dwarf_tag },
		{ "dwarf_hasattr", (void **)&libdw_api.dwarf_hasattr },
		{ "dwarf_attr", (void **)&libdw_api.dwarf_attr },
		{ "dwarf_child", (void **)&libdw_api.dwarf_child },
		{ "dwarf_siblingof", (void **)&libdw_api.dwarf_siblingof },
		{ "dwarf_formstring", (void **)&libdw_api.dwarf_formstring },
		{ "dwarf_formref_die", (void **)&libdw_api.dwarf_formref_die },
		{ "dwarf_attr_integrate", (void **)&libdw_api.dwarf_attr_integrate },
		{ "dwarf_formudata", (void **)&libdw_api.dwarf_formudata },
		{ "dwarf_diename", (void **)&libdw_api.dwarf_diename },
		{ "dwarf_hasattr_integrate", (void **)&libdw_api.dwarf_hasattr_integrate },
		{ "dwarf_srclang", (void **)&libdw_api.dwarf_srclang },
		{ "dwarf_ranges", (void **)&libdw_api.dwarf_ranges },
		{ "dwarf_haspc", (void **)&libdw_api.dwarf_haspc },
		{ "dwarf_getscopes", (void **)&libdw_api.dwarf_getscopes },
		{ "dwarf_getlocation", (void **)&libdw_api.dwarf_getlocation },
		{ "dwarf_diecu", (void **)&libdw_api.dwarf_diecu },
		{ "dwarf_aggregate_size", (void **)&libdw_api.dwarf_aggregate_size },
		{ "dwfl_module_nextcu", (void **)&libdw_api.dwfl_module_nextcu },
		{ "dwfl_report_end", (void **)&libdw_api.dwfl_report_end },
		{ "dwfl_report_elf", (void **)&libdw_api.dwfl_report_elf },
		{ "dwfl_report_begin_add", (void **)&libdw_api.dwfl_report_begin_add },
		{ "dwfl_module_getdwarf", (void **)&libdw_api.dwfl_module_getdwarf },
		{ "dwfl_module_addrinfo", (void **)&libdw_api.dwfl_module_addrinfo },
		{ "dwfl_module_addrdie", (void **)&libdw_api.dwfl_module_addrdie },
		{ "dwfl_errmsg", (void **)&libdw_api.dwfl_errmsg },
		{ "dwfl_end", (void **)&libdw_api.dwfl_end },
		{ "dwfl_build_id_find_debuginfo", (void **)&libdw_api.dwfl_build_id_find_debuginfo },
		{ "dwfl_begin", (void **)&libdw_api.dwfl_begin },
		{ "dwfl_addrmodule", (void **)&libdw_api.dwfl_addrmodule },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (!(*table[i].slot = dlsym(h, table[i].name))) {
			open_error = "libdw.so.1 (elfutils) lacks a function pfipc needs";
			return;
		}
	}
}

int libdw_open(const char **why)
{
	pthread_once(&once, open_once);
	if (open_error && why)
		*why = open_error;
	return open_error ? -ENOENT : 0;
}
