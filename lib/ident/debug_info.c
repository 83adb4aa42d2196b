#include <dlfcn.h>
#include <dwarf.h>
#include "ident/libdw_api.h"
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "debug_info.h"

/* Modules are reported with their file already open: libdwfl never needs
 * to look for one. */
static int no_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		  Dwarf_Addr base, char **file_name, Elf **elfp)
{
	(void)mod; (void)userdata; (void)modname; (void)base;
	(void)file_name; (void)elfp;
	return -1;
}

/* A module whose own file has no DWARF may have it in a separate file,
 * found by build ID under /usr/lib/debug (Debian's -dbg and -dbgsym
 * packages). dwfl_standard_find_debuginfo would also ask a debuginfod
 * server when DEBUGINFOD_URLS is set; an export must not wait on the
 * network, so only local files are looked at. */
static int local_debuginfo(Dwfl_Module *mod, void **userdata,
			   const char *modname, Dwarf_Addr base,
			   const char *file_name, const char *debuglink_file,
			   GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	return dwfl_build_id_find_debuginfo(mod, userdata, modname, base,
					    file_name, debuglink_file,
					    debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = no_elf,
	.find_debuginfo = local_debuginfo,
	.debuginfo_path = NULL,   /* libdwfl's default: /usr/lib/debug */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *session;
static unsigned long long session_unloads;

/* The loaded object whose segments hold an address. */
struct module_at {
	uintptr_t addr;
	bool found;
	char path[PATH_MAX];
	uintptr_t bias;               /* load bias (dlpi_addr) */
	unsigned long long unloads;   /* dlpi_subs: objects unloaded so far */
};

static int find_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct module_at *m = arg;
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
		m->unloads = info->dlpi_subs;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type != PT_LOAD || m->addr < start ||
		    m->addr - start >= ph->p_memsz)
			continue;
		m->found = true;
		m->bias = info->dlpi_addr;
		if (info->dlpi_name && info->dlpi_name[0]) {
			snprintf(m->path, sizeof m->path, "%s", info->dlpi_name);
		} else {
			/* The main program has no name in the link map. */
			ssize_t n = readlink("/proc/self/exe", m->path,
					     sizeof m->path - 1);
			m->path[n > 0 ? n : 0] = '\0';
		}
		return 1;
	}
	return 0;
}

/* The session's module for the object at M, reporting it on first use. A
 * library unloaded since the session began may have left a stale module
 * where a new one now sits: then the session starts afresh. */
static Dwfl_Module *module_for(const struct module_at *m)
{
	if (session && session_unloads != m->unloads) {
		dwfl_end(session);
		session = NULL;
	}
	if (!session) {
		if (!(session = dwfl_begin(&callbacks)))
			return NULL;
		session_unloads = m->unloads;
	}
	Dwfl_Module *mod = dwfl_addrmodule(session, m->addr);
	if (mod)
		return mod;
	dwfl_report_begin_add(session);
	mod = dwfl_report_elf(session, m->path, m->path, -1, m->bias, true);
	if (dwfl_report_end(session, NULL, NULL) != 0)
		return NULL;
	return mod;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool starts_at(Dwarf_Die *die, Dwarf_Addr pc)
{
	Dwarf_Addr base, start, end;
	ptrdiff_t off = 0;
	while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0)
		if (start == pc)
			return true;
	return false;
}

/* The DW_TAG_subprogram of the function whose code starts at PC (a
 * module-relative address) inside CU. */
static bool subprogram_at(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes(cu, pc, &scopes);
	bool found = false;
	/* Innermost first: code inlined at the entry shows up as
	 * DW_TAG_inlined_subroutine scopes inside the function's own. */
	for (int i = 0; i < n && !found; i++) {
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram &&
		    starts_at(&scopes[i], pc)) {
			*out = scopes[i];
			found = true;
		}
	}
	free(scopes);
	return found;
}

/* The compile unit holding ADDR. libdw finds it through .debug_aranges,
 * which clang does not write by default: then every unit is asked. */
static Dwarf_Die *cu_at(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
	if (cu)
		return cu;
	while ((cu = dwfl_module_nextcu(mod, cu, bias)))
		if (dwarf_haspc(cu, addr - *bias) > 0)
			return cu;
	return NULL;
}

static bool named(Dwarf_Die *die, const char *name)
{
	Dwarf_Attribute attr;
	const char *n = dwarf_formstring(dwarf_attr(die, DW_AT_name, &attr));
	const char *linkage = dwarf_formstring(dwarf_attr(die, DW_AT_linkage_name, &attr));
	return (n && strcmp(n, name) == 0) || (linkage && strcmp(linkage, name) == 0);
}

/* GCC's identical code folding (-fipa-icf, on at -O2) can leave a
 * function's DIE without any address: its code was merged with another's
 * and the symbol kept. Then the symbol table names the function at ADDR
 * and its DIE is found by that name, if exactly one definition has it. */
static bool subprogram_named(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Die *out,
			     Dwarf_Die *out_cu)
{
	GElf_Off offset;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, addr, &offset, &sym, NULL,
						NULL, NULL);
	if (!name || offset != 0)
		return false;
	unsigned found = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL, child;
	while ((cu = dwfl_module_nextcu(mod, cu, &bias))) {
		if (dwarf_child(cu, &child) != 0)
			continue;
		do {
			if (dwarf_tag(&child) == DW_TAG_subprogram &&
			    !dwarf_hasattr(&child, DW_AT_declaration) &&
			    named(&child, name) && found++ == 0) {
				*out = child;
				*out_cu = *cu;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return found == 1;
}

int debug_info_clang_major(const char *producer)
{
	const char *v = producer ? strstr(producer, "clang version ") : NULL;
	return v ? atoi(v + strlen("clang version ")) : 0;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

/* With the lock held: find FN's definition and visit it. */
static int visit_locked(const void *fn, const char *symbol,
			debug_fn_visitor *visit, void *arg,
			char *why, size_t whycap)
{
	struct module_at m = { .addr = (uintptr_t)fn };
	dl_iterate_phdr(find_module, &m);
	if (!m.found || !m.path[0]) {
		snprintf(why, whycap, "%s is not in any loaded program or "
			 "library", symbol);
		return -ENOENT;
	}
	Dwfl_Module *mod = module_for(&m);
	if (!mod) {
		snprintf(why, whycap, "cannot read %s: %s", m.path,
			 dwfl_errmsg(-1));
		return -ENOENT;
	}
	Dwarf_Addr bias;
	if (!dwfl_module_getdwarf(mod, &bias)) {
		snprintf(why, whycap, "%s has no debug information (build it "
			 "with -g)", base_name(m.path));
		return -ENOENT;
	}
	Dwarf_Die *cu = cu_at(mod, m.addr, &bias), named_cu;
	struct debug_fn d = { .module = m.path };
	if (!cu || !subprogram_at(cu, m.addr - bias, &d.die)) {
		if (!subprogram_named(mod, m.addr, &d.die, &named_cu)) {
			snprintf(why, whycap, "no debug information describes %s "
				 "in %s (build it with -g)", symbol, base_name(m.path));
			return -ENOENT;
		}
		cu = &named_cu;
	}
	Dwarf_Attribute attr;
	const char *producer = dwarf_formstring(dwarf_attr(cu, DW_AT_producer, &attr));
	d.clang_major = debug_info_clang_major(producer);
	d.name = die_name(&d.die);
	if (!d.name)
		d.name = symbol;
	return visit(&d, arg);
}

int debug_info_visit(const void *fn, debug_fn_visitor *visit, void *arg,
		     char *why, size_t whycap)
{
	/* The symbol table names the function in messages when the debug
	 * information cannot. */
	char symbol[128];
	Dl_info info;
	if (dladdr(fn, &info) && info.dli_sname && info.dli_saddr == fn)
		snprintf(symbol, sizeof symbol, "%s", info.dli_sname);
	else
		snprintf(symbol, sizeof symbol, "the function at %p", fn);

	const char *missing;
	if (libdw_open(&missing) != 0) {
		snprintf(why, whycap, "%s: no debug information can be read for %s", missing, symbol);
		return -ENOENT;
	}
	pthread_mutex_lock(&lock);
	int rc = visit_locked(fn, symbol, visit, arg, why, whycap);
	pthread_mutex_unlock(&lock);
	return rc;
}
