/* Entry sites as compilers emit them: the raw instructions with live data
 * in the red zone and in callee-saved registers, variadic calls through
 * each numbered entry, and ordinary and tail calls through each stub.
 * Built once per compiler and optimisation level (tests/meson.build):
 * SITES_OPT is that level, SITES_CC the compiler. */
#include <capstone/capstone.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include "../common.h"
#include "sites.h"

static pid_t ran_on;

static long add4(long a, long b, long c, long d)
{
	ran_on = gettid();
	return a + 10 * b + 100 * c + 1000 * d;
}

static double vsum(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	double total = 0;
	for (int i = 0; i < n; i++)
		total += (i % 2) ? va_arg(ap, double) : (double)va_arg(ap, long);
	va_end(ap);
	return total;
}

static const struct one_export exports[] = {
	{ "es.add4", (void *)add4, 0, 0 },
	{ "es.vsum", (void *)vsum, 0, 0 },
	{ "es.add4_mig", (void *)add4, 0, PF_EXPORT_MIGRATE },
	{ "es.vsum_mig", (void *)vsum, 0, PF_EXPORT_MIGRATE },
	{ 0 },
};

static pf_process *server;
static pf_import *add_msg, *add_mig, *vsum_msg, *vsum_mig;
static bool sud;   /* syscall and int $0x80 entries work here */

static int setup(void **state)
{
	(void)state;
	sud = pf_entry_enable(PF_ENTRY_SYSCALL) == 0;
	server = start_server("entrysites", exports);
	add_msg = import_ok("es.add4");
	add_mig = import_ok("es.add4_mig");
	vsum_msg = import_ok("es.vsum");
	vsum_mig = import_ok("es.vsum_mig");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server(server);
	return 0;
}

/* The bytes of the instruction that enters, in a site. */
static bool is_entry_insn(const cs_insn *in)
{
	return in->id == X86_INS_SYSCALL || in->id == X86_INS_INT;
}

/* Does FN store below its rsp before its entry instruction, i.e. is its
 * red zone live across the entry? Follows rsp through pushes and
 * immediate adjustments, and rbp when it is a copy of rsp. */
static bool red_zone_live_at_entry(const void *fn)
{
	csh cs;
	assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *in = cs_malloc(cs);
	const uint8_t *code = fn;
	size_t size = 4096;
	uint64_t addr = (uintptr_t)fn;
	long sp = 0, bp = 0;             /* offsets from rsp at entry */
	bool bp_known = false, below = false, known = true;
	while (cs_disasm_iter(cs, &code, &size, &addr, in)) {
		cs_x86 *x = &in->detail->x86;
		if (is_entry_insn(in))
			break;
		if (in->id == X86_INS_PUSH) {
			sp -= 8;
			continue;
		}
		if (in->id == X86_INS_POP) {
			sp += 8;
			continue;
		}
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == X86_REG_RSP) {
			if (x->operands[1].type == X86_OP_IMM && in->id == X86_INS_SUB)
				sp -= x->operands[1].imm;
			else if (x->operands[1].type == X86_OP_IMM && in->id == X86_INS_ADD)
				sp += x->operands[1].imm;
			else
				known = false;
			continue;
		}
		if (in->id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RBP &&
		    x->operands[1].type == X86_OP_REG && x->operands[1].reg == X86_REG_RSP) {
			bp = sp;
			bp_known = true;
			continue;
		}
		if (x->op_count >= 1 && x->operands[0].type == X86_OP_MEM) {
			const x86_op_mem *m = &x->operands[0].mem;
			if (m->base == X86_REG_RSP && m->disp < 0)
				below = true;
			if (m->base == X86_REG_RBP && bp_known && bp + m->disp < sp)
				below = true;
		}
	}
	cs_free(in, 1);
	cs_close(&cs);
	return known && below;
}

static void red_zone_is_live_at_every_raw_site(void **state)
{
	(void)state;
	if (site_sanitized)
		skip();
	assert_true(red_zone_live_at_entry((const void *)site_raw_syscall));
	assert_true(red_zone_live_at_entry((const void *)site_raw_int));
	assert_true(red_zone_live_at_entry((const void *)site_raw_int80));
}

static void check_raw(long (*site)(int, long, long, long, long), bool needs_sud)
{
	if (needs_sud && !sud)
		skip();
	for (int mig = 0; mig < 2; mig++) {
		ran_on = 0;
		long got = site(pf_import_number(mig ? add_mig : add_msg), 1, 2, 3, 4);
		assert_int_equal(got, 4321);
		assert_int_equal(pf_errno(), 0);
		if (mig)
			assert_int_equal(ran_on, gettid());
		else
			assert_int_not_equal(ran_on, gettid());
	}
}

static void raw_syscall_keeps_red_zone_and_callee_saved_registers(void **state)
{
	(void)state;
	check_raw(site_raw_syscall, true);
}

static void raw_int_keeps_red_zone_and_callee_saved_registers(void **state)
{
	(void)state;
	check_raw(site_raw_int, false);
}

static void raw_int80_keeps_red_zone_and_callee_saved_registers(void **state)
{
	(void)state;
	check_raw(site_raw_int80, true);
}

static void raw_variadic_calls_tell_the_callee_al(void **state)
{
	(void)state;
	for (int mig = 0; mig < 2; mig++) {
		int nr = pf_import_number(mig ? vsum_mig : vsum_msg);
		assert_true(site_raw_int_variadic(nr) == 3.5);
		if (sud) {
			assert_true(site_raw_syscall_variadic(nr) == 3.5);
			assert_true(site_raw_int80_variadic(nr) == 3.5);
		}
	}
}

static void stub_calls_and_tail_calls_through_every_entry(void **state)
{
	(void)state;
	for (unsigned kind = PF_ENTRY_GATE; kind <= PF_ENTRY_INT80; kind++) {
		if ((kind == PF_ENTRY_SYSCALL || kind == PF_ENTRY_INT80) && !sud)
			continue;
		for (int mig = 0; mig < 2; mig++) {
			entry4_fn *stub = PF_ENTRY(entry4_fn, mig ? add_mig : add_msg, kind);
			assert_non_null(stub);
			assert_int_equal(site_stub_call(stub, 4, 3, 2, 1), 1235);
			assert_int_equal(site_stub_tail(stub, -1, 0, 0, 1), 999);
			assert_int_equal(pf_errno(), 0);
		}
	}
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(red_zone_is_live_at_every_raw_site),
		cmocka_unit_test(raw_syscall_keeps_red_zone_and_callee_saved_registers),
		cmocka_unit_test(raw_int_keeps_red_zone_and_callee_saved_registers),
		cmocka_unit_test(raw_int80_keeps_red_zone_and_callee_saved_registers),
		cmocka_unit_test(raw_variadic_calls_tell_the_callee_al),
		cmocka_unit_test(stub_calls_and_tail_calls_through_every_entry),
	};
	cmocka_set_message_output(CM_OUTPUT_STDOUT);
	int failed = _cmocka_run_group_tests("entry sites " SITES_CC " -O" SITES_OPT_STR,
					     tests, sizeof tests / sizeof tests[0],
					     setup, teardown);
	pf_thread_detach();
	return failed;
}
