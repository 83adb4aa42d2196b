/* Laying out a function's parameters as a System V x86-64 caller does
 * (psABI 3.2.3): each argument, in order, takes registers when all its
 * eightbytes fit in what is left (six integer, eight SSE registers), else
 * it goes whole on the stack, at an offset aligned to max(8, its
 * alignment), taking its size rounded up to 8. A result returned in
 * memory takes rdi for its address first. */
#include <dwarf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "pfipc.h"
#include "debug_info.h"
#include "dwarf_type.h"
#include "stack_bytes.h"
#include "sysv_class.h"

#define INT_REGS 6u
#define SSE_REGS 8u

struct layout {
	int clang_major;
	unsigned ints, sses;     /* registers taken so far */
	unsigned phantom_ints;   /* clang before 20: integer registers its
				    front end still counts as free (see
				    place()) */
	unsigned bytes;          /* end of the stack arguments so far */
	bool variadic;
	unsigned on_stack;       /* how many arguments went there */
	/* The argument that ends the area, for messages. */
	char last_name[64];
	char last_type[64];
	unsigned last_start, last_align;
	char *why;
	size_t whycap;
};

static unsigned round_up(unsigned n, unsigned to)
{
	return (n + to - 1) / to * to;
}

static void put_on_stack(struct layout *l, unsigned align, unsigned size,
			 const char *name, Dwarf_Die *type)
{
	unsigned start = round_up(l->bytes, align);
	l->bytes = start + round_up(size, 8);
	l->on_stack++;
	l->last_start = start;
	l->last_align = align;
	snprintf(l->last_name, sizeof l->last_name, "%s", name);
	dtype_name(type, l->last_type, sizeof l->last_type);
}

/* Place one argument of type T (named NAME, of DWARF type TYPE). */
static void place(struct layout *l, const struct sysv_type *t, const char *name,
		  Dwarf_Die *type)
{
	unsigned need_int = 0, need_sse = 0;
	for (unsigned i = 0; i < t->eightbytes; i++) {
		need_int += t->classes[i] == SYSV_INTEGER;
		need_sse += t->classes[i] == SYSV_SSE;
	}
	if (!t->memory && l->phantom_ints && need_int && need_int <= l->phantom_ints &&
	    l->sses + need_sse <= SSE_REGS) {
		/* The other half of clang's __int128 split (below): its front
		 * end passes this argument in registers, its back end has none
		 * left for the integer eightbytes, which go to the stack one
		 * by one while the SSE ones still take xmm registers. */
		l->phantom_ints -= need_int;
		l->sses += need_sse;
		for (unsigned i = 0; i < t->eightbytes; i++)
			if (t->classes[i] == SYSV_INTEGER)
				put_on_stack(l, 8, 8, name, type);
		return;
	}
	if (!t->memory && l->ints + need_int <= INT_REGS &&
	    l->sses + need_sse <= SSE_REGS) {
		l->ints += need_int;
		l->sses += need_sse;
		return;
	}
	unsigned align = t->align > 8 ? t->align : 8;
	if (t->int128 && l->clang_major && l->clang_major < 20 &&
	    l->ints == INT_REGS - 1) {
		/* Only r9 is left. clang's front end leaves a plain __int128
		 * that does not fit to its back end, still counting r9 as
		 * free, so it passes the next integer argument "in registers"
		 * too (phantom_ints). The back end, before LLVM 18, put the
		 * low half in r9 and the high half on the stack (LLVM issue
		 * 41784); in LLVM 18 and 19, it puts all of it on the stack
		 * but takes r9 all the same (LLVM issue 123935). */
		l->ints = INT_REGS;
		l->phantom_ints = 1;
		if (l->clang_major < 18) {
			put_on_stack(l, 8, 8, name, type);
			return;
		}
	}
	if (t->int128 && l->clang_major && l->clang_major < 18)
		align = 8;   /* two separate 8-byte halves */
	put_on_stack(l, align, (unsigned)t->size, name, type);
}

/* The DIE that lists the parameters: a concrete instance of an inline
 * function, or one GCC split off, points to its abstract origin. */
static Dwarf_Die declaration_of(Dwarf_Die *die)
{
	Dwarf_Die cur = *die, next;
	Dwarf_Attribute attr;
	for (int i = 0; i < 8 && dwarf_attr(&cur, DW_AT_abstract_origin, &attr) &&
			dwarf_formref_die(&attr, &next); i++)
		cur = next;
	return cur;
}

static bool has_parameter_children(Dwarf_Die *die)
{
	Dwarf_Die child;
	if (dwarf_child(die, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_formal_parameter || tag == DW_TAG_unspecified_parameters)
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* GCC at -g1 describes a function by name and address only: no
 * parameters, no return type, not even DW_AT_prototyped, which every
 * prototyped C function has at -g. */
static bool parameters_left_out(Dwarf_Die *die, Dwarf_Die *decl)
{
	Dwarf_Die cu;
	Dwarf_Attribute attr;
	if (!dwarf_diecu(die, &cu, NULL, NULL))
		return false;
	const char *producer = dwarf_formstring(dwarf_attr(&cu, DW_AT_producer, &attr));
	if (producer && (strstr(producer, " -g1") || strstr(producer, " -gmlt")))
		return true;
	int lang = dwarf_srclang(&cu);
	bool c = lang == DW_LANG_C89 || lang == DW_LANG_C || lang == DW_LANG_C99 ||
		 lang == DW_LANG_C11 || lang == 0x2c /* DW_LANG_C17 */;
	return c && !dwarf_hasattr_integrate(decl, DW_AT_prototyped) &&
	       !dwarf_hasattr_integrate(decl, DW_AT_type) && !has_parameter_children(decl);
}

static const char *param_name(Dwarf_Die *p, unsigned index, char *buf, size_t cap)
{
	Dwarf_Attribute attr;
	const char *name = dwarf_formstring(dwarf_attr_integrate(p, DW_AT_name, &attr));
	if (name)
		return name;
	snprintf(buf, cap, "#%u", index + 1);
	return buf;
}

static int lay_out_parameters(struct layout *l, const struct debug_fn *fn,
			      Dwarf_Die *decl)
{
	Dwarf_Die p;
	if (dwarf_child(decl, &p) != 0)
		return 0;
	unsigned index = 0;
	do {
		if (dwarf_tag(&p) == DW_TAG_unspecified_parameters) {
			l->variadic = true;   /* only the named ones count */
			continue;
		}
		if (dwarf_tag(&p) != DW_TAG_formal_parameter)
			continue;
		char buf[16], reason[160];
		const char *name = param_name(&p, index++, buf, sizeof buf);
		Dwarf_Die type;
		Dwarf_Attribute attr;
		if (!dwarf_attr_integrate(&p, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, &type)) {
			snprintf(l->why, l->whycap, "parameter '%s' of %s has no type "
				 "in the debug information", name, fn->name);
			return -ENOTSUP;
		}
		struct sysv_type t;
		if (sysv_classify(&type, false, l->clang_major, &t, reason,
				  sizeof reason) != 0) {
			char declared[64];
			dtype_name(&type, declared, sizeof declared);
			snprintf(l->why, l->whycap, "parameter '%s' (%s) of %s: %s",
				 name, declared, fn->name, reason);
			return -ENOTSUP;
		}
		place(l, &t, name, &type);
	} while (dwarf_siblingof(&p, &p) == 0);
	return 0;
}

static int lay_out(const struct debug_fn *fn, void *arg)
{
	struct layout *l = arg;
	Dwarf_Die die = fn->die;
	Dwarf_Die decl = declaration_of(&die);
	Dwarf_Die spec;
	Dwarf_Attribute attr;
	/* A C++ member defined outside its class may list its parameters
	 * only in the declaration inside it. */
	if (!has_parameter_children(&decl) &&
	    dwarf_attr(&decl, DW_AT_specification, &attr) &&
	    dwarf_formref_die(&attr, &spec))
		decl = spec;
	if (parameters_left_out(&die, &decl)) {
		snprintf(l->why, l->whycap, "the debug information of %s leaves its "
			 "parameters out (built with -g1?): build it with -g", fn->name);
		return -ENOENT;
	}
	Dwarf_Word cc;
	if (dwarf_formudata(dwarf_attr_integrate(&die, DW_AT_calling_convention, &attr),
			    &cc) == 0 && cc == DW_CC_nocall) {
		snprintf(l->why, l->whycap, "%s does not follow the standard calling "
			 "convention (the compiler changed it)", fn->name);
		return -ENOTSUP;
	}
	l->clang_major = fn->clang_major;

	Dwarf_Die ret;
	if (dwarf_attr_integrate(&decl, DW_AT_type, &attr) &&
	    dwarf_formref_die(&attr, &ret)) {
		struct sysv_type t;
		char reason[160];
		if (sysv_classify(&ret, true, l->clang_major, &t, reason,
				  sizeof reason) != 0) {
			snprintf(l->why, l->whycap, "the return type of %s: %s",
				 fn->name, reason);
			return -ENOTSUP;
		}
		if (t.memory)
			l->ints = 1;   /* rdi: where the result goes */
	}
	return lay_out_parameters(l, fn, &decl);
}

/* Lay out FN's parameters into L (L->why must be set). */
static int compute(const void *fn, struct layout *l)
{
	char *why = l->why;
	size_t cap = l->whycap;
	memset(l, 0, sizeof *l);
	l->why = why;
	l->whycap = cap;
	return debug_info_visit(fn, lay_out, l, why, cap);
}

static void describe(const struct layout *l, char *buf, size_t cap)
{
	if (!l->on_stack) {
		snprintf(buf, cap, "no argument goes on the stack");
		return;
	}
	char aligned[24] = "";
	if (l->last_align > 8)
		snprintf(aligned, sizeof aligned, ", aligned to %u", l->last_align);
	snprintf(buf, cap, "the %s stack argument, '%s' (%s), is at %u..%u%s",
		 l->on_stack > 1 ? "last" : "one", l->last_name, l->last_type,
		 l->last_start, l->bytes, aligned);
}

int stack_bytes_of(const void *fn, unsigned *out, char *why, size_t whycap)
{
	struct layout l = { .why = why, .whycap = whycap };
	int rc = compute(fn, &l);
	if (rc)
		return rc;
	*out = l.bytes;
	describe(&l, why, whycap);
	return 0;
}

int stack_bytes_for_export(const char *name, const void *fn, size_t *stack_bytes,
			   unsigned flags, char *msg, size_t msgcap)
{
	if (!fn)
		return 0;   /* the registry refuses it */
	if (*stack_bytes != PF_STACK_AUTO && (flags & PF_EXPORT_STACK_AS_DECLARED))
		return 0;
	char why[200], how[200];
	struct layout l = { .why = why, .whycap = sizeof why };
	int rc = compute(fn, &l);
	if (*stack_bytes == PF_STACK_AUTO) {
		if (rc == -ENOENT) {
			snprintf(msg, msgcap, "pf_export: %s: cannot work out its stack "
				 "bytes: %s; or declare them", name, why);
			return -EINVAL;
		}
		if (rc) {
			snprintf(msg, msgcap, "pf_export: %s: cannot work out its stack "
				 "bytes: %s; declare them", name, why);
			return -EINVAL;
		}
		if (l.bytes > PF_MAX_STACK_BYTES) {
			snprintf(msg, msgcap, "pf_export: %s needs %u stack bytes, more "
				 "than PF_MAX_STACK_BYTES (%u)", name, l.bytes,
				 PF_MAX_STACK_BYTES);
			return -EINVAL;
		}
		*stack_bytes = l.bytes;
		return 0;
	}
	if (rc)
		return 0;   /* nothing to check it against: taken on trust */
	size_t declared = *stack_bytes;
	if (declared == l.bytes || (l.variadic && declared > l.bytes))
		return 0;
	describe(&l, how, sizeof how);
	snprintf(msg, msgcap, "pf_export: %s declares %zu stack bytes, its %s "
		 "%u (%s)", name, declared,
		 l.variadic ? "named parameters need" : "prototype needs", l.bytes, how);
	return -EINVAL;
}
