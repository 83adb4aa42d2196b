/* The compiled-code matrix: driver.c's scenarios, as one compiler built
 * them at one level (MATRIX_CC, MATRIX_OPT), run twice from the same
 * bytes:
 *   - against ordinary memory, single-stepped (the trap flag): before each
 *     instruction the CPU executes, Capstone says which memory operands it
 *     has and how it uses them (read, write, both), and those that fall in
 *     the device's page are logged, reads before writes; a rep string
 *     instruction traps after each element, so each is logged;
 *   - against a window whose owner's functions are the same plain memory,
 *     logging each access it serves.
 * Every value the driver observed (its return value, its own memory) and
 * the device's bytes afterwards must be the same, and so must the two
 * logs, access by access. The instructions that touched the device are
 * listed, and the forms this build must have used are checked, so that a
 * form cannot pass untested. */
#include <capstone/capstone.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "../common.h"
#include "driver.h"

#define PAGE 4096u

struct access {
	char op;          /* 'R', 'W' */
	unsigned width;
	uint64_t offset;
};

struct log {
	struct access a[2048];
	unsigned n;
};

static void add(struct log *l, char op, unsigned width, uint64_t offset)
{
	if (l->n < sizeof l->a / sizeof l->a[0])
		l->a[l->n] = (struct access){ op, width, offset };
	l->n++;
}

/* ---- the window ------------------------------------------------------------ */

static uint8_t model[PAGE];
static struct log window_log;

static int model_read(void *ctx, uint64_t offset, unsigned width, void *value)
{
	(void)ctx;
	add(&window_log, 'R', width, offset);
	memcpy(value, model + offset, width);
	return 0;
}

static int model_write(void *ctx, uint64_t offset, unsigned width, const void *value)
{
	(void)ctx;
	add(&window_log, 'W', width, offset);
	memcpy(model + offset, value, width);
	return 0;
}

static const pf_window_ops model_ops = { model_read, model_write, NULL };

static int hw_init(void *arg)
{
	(void)arg;
	return pf_window_create("hw.regs", 1, &model_ops, NULL, 0);
}

/* ---- the single-stepped run -------------------------------------------------- */

static uint8_t *page;            /* the device in ordinary memory */
static struct log memory_log;
static volatile bool tracing;
static csh cs;
static cs_insn *insn;

/* What the instructions that touched the device were: "or rmw 4",
 * "movdqu read 16", "lock xadd rmw 8", "rep movsb write 1". */
#define MAX_FORMS 128
static char forms[MAX_FORMS][48];
static unsigned nforms;

static void seen(const cs_insn *ci, unsigned access, unsigned width)
{
	const cs_x86 *x = &ci->detail->x86;
	char form[48];
	bool lock = x->prefix[0] == X86_PREFIX_LOCK;
	bool rep = x->prefix[0] == X86_PREFIX_REP;
	snprintf(form, sizeof form, "%s%s%s %s %u", lock ? "lock " : "", rep ? "rep " : "",
		 cs_insn_name(cs, ci->id),
		 access == (CS_AC_READ | CS_AC_WRITE) ? "rmw" : access == CS_AC_READ ? "read" : "write",
		 width);
	for (unsigned i = 0; i < nforms; i++)
		if (!strcmp(forms[i], form))
			return;
	if (nforms < MAX_FORMS)
		strcpy(forms[nforms++], form);
}

static uint64_t reg_value(const greg_t *g, x86_reg r)
{
	switch (r) {
	case X86_REG_RAX: return (uint64_t)g[REG_RAX];
	case X86_REG_RBX: return (uint64_t)g[REG_RBX];
	case X86_REG_RCX: return (uint64_t)g[REG_RCX];
	case X86_REG_RDX: return (uint64_t)g[REG_RDX];
	case X86_REG_RSI: return (uint64_t)g[REG_RSI];
	case X86_REG_RDI: return (uint64_t)g[REG_RDI];
	case X86_REG_RBP: return (uint64_t)g[REG_RBP];
	case X86_REG_RSP: return (uint64_t)g[REG_RSP];
	case X86_REG_R8: return (uint64_t)g[REG_R8];
	case X86_REG_R9: return (uint64_t)g[REG_R9];
	case X86_REG_R10: return (uint64_t)g[REG_R10];
	case X86_REG_R11: return (uint64_t)g[REG_R11];
	case X86_REG_R12: return (uint64_t)g[REG_R12];
	case X86_REG_R13: return (uint64_t)g[REG_R13];
	case X86_REG_R14: return (uint64_t)g[REG_R14];
	case X86_REG_R15: return (uint64_t)g[REG_R15];
	default: return 0;
	}
}

/* How the instruction uses its memory operand at operand position I, as
 * the CPU does (Capstone 4's own access flags are wrong for some forms:
 * it calls an SSE store a read, and a cmpxchg a read only); 0 for an
 * operand that is no access at all (lea, a multi-byte nop). */
static unsigned access_of(const cs_insn *ci, unsigned i, const cs_x86_op *op)
{
	const unsigned r = CS_AC_READ, w = CS_AC_WRITE;
	switch (ci->id) {
	case X86_INS_LEA: case X86_INS_NOP:
		return 0;
	case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_MOVSXD:
	case X86_INS_CMP: case X86_INS_TEST: case X86_INS_BT:
		return r;
	case X86_INS_ADD: case X86_INS_OR: case X86_INS_ADC: case X86_INS_SBB:
	case X86_INS_AND: case X86_INS_SUB: case X86_INS_XOR:
		return i == 0 ? r | w : r;
	case X86_INS_INC: case X86_INS_DEC: case X86_INS_NEG: case X86_INS_NOT:
	case X86_INS_BTS: case X86_INS_BTR: case X86_INS_BTC:
	case X86_INS_XCHG: case X86_INS_XADD: case X86_INS_CMPXCHG:
		return r | w;
	case X86_INS_MOVSB: case X86_INS_MOVSW: case X86_INS_MOVSQ:
	case X86_INS_STOSB: case X86_INS_STOSW: case X86_INS_STOSD: case X86_INS_STOSQ:
		return op->mem.base == X86_REG_RDI ? w : r;
	case X86_INS_MOVSD:   /* the string move, or the SSE one: by operands */
	default:
		/* A move: the destination is the first operand. */
		if (ci->detail->x86.op_count == 2)
			return i == 0 ? w : r;
		return op->access;
	}
}

/* Before each instruction: log its accesses to the device. */
static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	if (!tracing)
		return;
	const greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	const uint8_t *code = (const uint8_t *)(uintptr_t)rip;
	size_t size = 15;
	uint64_t at = rip;
	if (!cs_disasm_iter(cs, &code, &size, &at, insn))
		return;
	const cs_x86 *x = &insn->detail->x86;
	if (x->prefix[0] == X86_PREFIX_REP && g[REG_RCX] == 0 &&
	    (insn->id == X86_INS_MOVSB || insn->id == X86_INS_MOVSW || insn->id == X86_INS_MOVSD ||
	     insn->id == X86_INS_MOVSQ || (insn->id >= X86_INS_STOSB && insn->id <= X86_INS_STOSW)))
		return;   /* rep with rcx 0: no access at all */
	struct { unsigned access, width; uint64_t offset; } ops[4];
	unsigned n = 0;
	for (unsigned i = 0; i < x->op_count && n < 4; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type != X86_OP_MEM || op->mem.segment == X86_REG_FS ||
		    op->mem.segment == X86_REG_GS)
			continue;
		uint64_t ea = (uint64_t)op->mem.disp;
		ea += op->mem.base == X86_REG_RIP ? rip + insn->size : reg_value(g, op->mem.base);
		ea += reg_value(g, op->mem.index) * (uint64_t)op->mem.scale;
		if (ea - (uint64_t)(uintptr_t)page >= PAGE)
			continue;
		if (!(ops[n].access = access_of(insn, i, op)))
			continue;
		ops[n].width = op->size;
		ops[n].offset = ea - (uint64_t)(uintptr_t)page;
		seen(insn, ops[n].access, op->size);
		n++;
	}
	for (unsigned i = 0; i < n; i++)   /* reads first: movs reads, then writes */
		if (ops[i].access & CS_AC_READ)
			add(&memory_log, 'R', ops[i].width, ops[i].offset);
	for (unsigned i = 0; i < n; i++)
		if (ops[i].access & CS_AC_WRITE)
			add(&memory_log, 'W', ops[i].width, ops[i].offset);
}

static uint64_t single_stepped(scenario_fn *fn, volatile struct dev_regs *r, uint8_t *ram)
{
	tracing = true;
	__asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq" ::: "memory", "cc");
	uint64_t v = fn(r, ram);
	__asm__ volatile("pushfq\n\tandq $~0x100, (%%rsp)\n\tpopfq" ::: "memory", "cc");
	tracing = false;
	return v;
}

/* ---- the comparison ----------------------------------------------------------- */

static uint8_t *window;
static uint8_t initial[PAGE];

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 37 + seed * 11 + (i >> 8));
}

static bool same_logs(const char *name)
{
	bool ok = memory_log.n == window_log.n;
	for (unsigned i = 0; ok && i < memory_log.n && i < 2048; i++) {
		const struct access *a = &memory_log.a[i], *b = &window_log.a[i];
		ok = a->op == b->op && a->width == b->width && a->offset == b->offset;
	}
	if (ok)
		return true;
	print_message("%s: the accesses differ (memory: %u, window: %u)\n", name, memory_log.n,
		      window_log.n);
	for (unsigned i = 0; i < memory_log.n || i < window_log.n; i++) {
		if (i >= 2048 || i > 40) {
			print_message("  ...\n");
			break;
		}
		const struct access *a = i < memory_log.n ? &memory_log.a[i] : NULL;
		const struct access *b = i < window_log.n ? &window_log.a[i] : NULL;
		print_message("  %3u  memory %c%u@%-4llu  window %c%u@%llu\n", i, a ? a->op : '-',
			      a ? a->width : 0, a ? (unsigned long long)a->offset : 0ull, b ? b->op : '-',
			      b ? b->width : 0, b ? (unsigned long long)b->offset : 0ull);
	}
	return false;
}

static void every_scenario_sees_the_same_on_a_window_as_on_memory(void **state)
{
	(void)state;
	unsigned bad = 0;
	for (unsigned s = 0; s < driver_nscenarios; s++) {
		const struct scenario *sc = &driver_scenarios[s];
		uint8_t ram_m[512], ram_w[512];
		fill(initial, PAGE, s);
		fill(ram_m, sizeof ram_m, s + 100);
		memcpy(ram_w, ram_m, sizeof ram_w);

		memcpy(page, initial, PAGE);
		memory_log.n = 0;
		uint64_t on_memory = single_stepped(sc->fn, (volatile struct dev_regs *)page, ram_m);

		memcpy(model, initial, PAGE);
		window_log.n = 0;
		uint64_t on_window = sc->fn((volatile struct dev_regs *)window, ram_w);
		int err = pf_errno();

		bool ok = same_logs(sc->name);
		if (on_memory != on_window || err) {
			print_message("%s: returned %#llx on memory, %#llx on the window (pf_errno %d)\n",
				      sc->name, (unsigned long long)on_memory,
				      (unsigned long long)on_window, err);
			ok = false;
		}
		if (memcmp(ram_m, ram_w, sizeof ram_m) || memcmp(page, model, PAGE)) {
			print_message("%s: the driver's memory or the device's bytes differ\n", sc->name);
			ok = false;
		}
		if (!window_log.n) {
			print_message("%s: nothing reached the window\n", sc->name);
			ok = false;
		}
		bad += !ok;
	}
	assert_int_equal(bad, 0);
}

/* Did a form starting with one of the '|'-separated PREFIXES occur? */
static bool has_form(const char *prefixes)
{
	char alt[128];
	snprintf(alt, sizeof alt, "%s", prefixes);
	for (char *save, *p = strtok_r(alt, "|", &save); p; p = strtok_r(NULL, "|", &save))
		for (unsigned i = 0; i < nforms; i++)
			if (!strncmp(forms[i], p, strlen(p)))
				return true;
	return false;
}

/* What each build must have used: seen in their code, and kept here so
 * that a change of compiler that drops a form is noticed. */
static const struct {
	const char *cc;     /* NULL: any */
	int optimised;      /* -1: any; 0: -O0; 1: -O2 or -Os */
	const char *opt;    /* NULL: any */
	const char *form;   /* alternatives separated by '|' */
} expected[] = {
	{ NULL, -1, NULL, "mov write 1" }, { NULL, -1, NULL, "mov write 2" },
	{ NULL, -1, NULL, "mov write 4" }, { NULL, -1, NULL, "mov write 8" },
	{ NULL, -1, NULL, "mov read 1|movzx read 1" }, { NULL, -1, NULL, "mov read 2|movzx read 2" },
	{ NULL, -1, NULL, "mov read 4" }, { NULL, -1, NULL, "mov read 8" },
	{ NULL, -1, NULL, "lock cmpxchg rmw" }, { NULL, -1, NULL, "xchg rmw 4" },
	{ NULL, -1, NULL, "lock xadd rmw 8" }, { "cc", -1, NULL, "lock or rmw 4" },
	{ "clang", 1, NULL, "lock or rmw 4" },
	{ NULL, -1, NULL, "lock and rmw 1|lock cmpxchg rmw 1" },
	{ NULL, 1, NULL, "movsx read 1" }, { NULL, 1, NULL, "movsx read 2" },
	{ NULL, 1, NULL, "movsxd read 4" },
	{ NULL, 1, NULL, "movups write 16" }, { NULL, 1, NULL, "movups read 16|movdqu read 16" },
	{ "clang", -1, NULL, "movups write 16" }, { "clang", -1, NULL, "movups read 16" },
	{ "clang", -1, NULL, "rep movsb write 1" }, { "clang", -1, NULL, "rep movsb read 1" },
	{ "clang", 1, NULL, "or rmw 4" }, { "clang", 1, NULL, "and rmw 4" },
	{ "clang", 1, NULL, "add rmw 8" }, { "clang", 1, NULL, "xor rmw 2" },
	{ "clang", 1, NULL, "neg rmw 8" }, { "clang", 1, NULL, "not rmw 2" },
	{ "clang", 1, NULL, "or rmw 1" }, { "clang", 1, NULL, "cmp read 1" },
	{ "cc", -1, "s", "rep movsb write 1" }, { "cc", -1, "s", "rep movsd read 4" },
};

static void the_forms_this_build_uses_were_exercised(void **state)
{
	(void)state;
	print_message("%s -O%s: instructions that touched the device:\n", MATRIX_CC, MATRIX_OPT);
	for (unsigned i = 0; i < nforms; i++)
		print_message("  %s\n", forms[i]);
	int optimised = strcmp(MATRIX_OPT, "0") != 0;
	unsigned missing = 0;
	for (unsigned i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		if ((expected[i].cc && strcmp(expected[i].cc, MATRIX_CC)) ||
		    (expected[i].optimised >= 0 && expected[i].optimised != optimised) ||
		    (expected[i].opt && strcmp(expected[i].opt, MATRIX_OPT)))
			continue;
		if (!has_form(expected[i].form)) {
			print_message("NOT EXERCISED: %s\n", expected[i].form);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static int setup(void **state)
{
	(void)state;
	pf_process *hw, *drv;
	void *w;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	/* A handle's first decode allocates its instruction table (calloc):
	 * made here, so that on_trap, a signal handler, never allocates. */
	static const uint8_t warm_up[] = { 0x8b, 0x07 };   /* mov eax, [rdi] */
	const uint8_t *code = warm_up;
	size_t size = sizeof warm_up;
	uint64_t at = 0;
	if (!insn || !cs_disasm_iter(cs, &code, &size, &at, insn))
		return -1;
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || pf_process_join_self(&drv, "drv") != 0 ||
	    pf_process_create(&hw, "hw", NULL, hw_init, NULL) != 0 ||
	    pf_window_map("hw.regs", 0, &w) != 0)
		return -1;
	window = w;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	return sigaction(SIGTRAP, &sa, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_scenario_sees_the_same_on_a_window_as_on_memory),
		cmocka_unit_test(the_forms_this_build_uses_were_exercised),
	};
	return cmocka_run_group_tests_name("compiled code, " MATRIX_CC " -O" MATRIX_OPT, tests,
					   setup, NULL);
}
