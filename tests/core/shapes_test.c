/* The three compiled call shapes, each checked to really occur in the code
 * under test (disassembled with Capstone) and then called through pfipc.
 * Built once per compiler and optimisation level (see tests/meson.build):
 * SITES_OPT is that level, SITES_CC the compiler. */
#include <capstone/capstone.h>
#include <string.h>
#include <unistd.h>
#include "../common.h"
#include "sites.h"

enum shape {
	HAS_CALL_MEM = 1,   /* call qword ptr [reg...] (i386: dword) */
	HAS_JMP_MEM = 2,    /* jmp qword ptr [reg...] */
	HAS_MOV_LOAD = 4,   /* mov r64, qword ptr [reg...] (i386: r32) */
	HAS_CALL_REG = 8,   /* call r64 */
	HAS_JMP_REG = 16,   /* jmp r64 */
};

/* The build's own architecture, as Capstone and its registers name it. */
#define WORD     sizeof(void *)
#define CS_MODE  (WORD == 8 ? CS_MODE_64 : CS_MODE_32)
#define FRAME_BP (WORD == 8 ? X86_REG_RBP : X86_REG_EBP)
#define FRAME_SP (WORD == 8 ? X86_REG_RSP : X86_REG_ESP)
/* A long that takes all of its register (or word). */
#define BIG      (WORD == 8 ? (long)1000000000000LL : 1000000000L)

/* What shapes the function at FN contains, up to its first RET. */
static unsigned shapes_in(const void *fn)
{
	csh cs;
	assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE, &cs), CS_ERR_OK);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *insn = cs_malloc(cs);
	const uint8_t *code = fn;
	size_t size = 256;
	uint64_t addr = (uintptr_t)fn;
	unsigned found = 0;
	while (cs_disasm_iter(cs, &code, &size, &addr, insn)) {
		cs_x86 *x = &insn->detail->x86;
		bool mem0 = x->op_count >= 1 && x->operands[0].type == X86_OP_MEM;
		bool reg0 = x->op_count == 1 && x->operands[0].type == X86_OP_REG;
		if (insn->id == X86_INS_CALL)
			found |= mem0 ? HAS_CALL_MEM : reg0 ? HAS_CALL_REG : 0;
		if (insn->id == X86_INS_JMP)
			found |= mem0 ? HAS_JMP_MEM : reg0 ? HAS_JMP_REG : 0;
		if (insn->id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].size == WORD &&
		    x->operands[1].type == X86_OP_MEM && x->operands[1].mem.base != FRAME_BP &&
		    x->operands[1].mem.base != FRAME_SP)
			found |= HAS_MOV_LOAD;
		if (insn->id == X86_INS_RET || insn->id == X86_INS_JMP)
			break;
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return found;
}

static pid_t server_tid;

static long add(long a, long b)
{
	server_tid = gettid();
	return a + b;
}

static pf_process *server;
static pf_import *imp;

static int setup(void **state)
{
	(void)state;
	static const struct one_export exports[] = {
		{ "shapes.add", (void *)add, PF_STACK_AUTO, 0 }, { 0 } };
	server = start_server("shapes", exports);
	imp = import_ok("shapes.add");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server(server);
	return 0;
}

static void check_ran_on_server(void)
{
	assert_int_equal(pf_errno(), 0);
	assert_int_not_equal(server_tid, 0);
	assert_int_not_equal(server_tid, gettid());
	server_tid = 0;
}

static void call_through_slot_returns_sum(void **state)
{
	(void)state;
	unsigned shapes = shapes_in((const void *)site_slot_call);
	if (SITES_OPT == 0) {
		/* -O0 loads the slot into a register, then calls the register. */
		assert_true(shapes & HAS_MOV_LOAD);
		assert_true(shapes & HAS_CALL_REG);
	} else {
		assert_true(shapes & HAS_CALL_MEM);
	}
	long (*const *slot)(long, long) = PF_SLOT(long(long, long), imp);
	assert_int_equal(site_slot_call(slot, 40, 2), 43);
	check_ran_on_server();
}

static void tail_call_through_slot_returns_sum(void **state)
{
	(void)state;
	unsigned shapes = shapes_in((const void *)site_slot_tail);
	if (SITES_OPT == 0) {
		assert_true(shapes & HAS_MOV_LOAD);
	} else {
		/* gcc: jmp qword ptr [rdi]; clang: mov rax, [rdi]; jmp rax.
		 * On i386 clang keeps a plain call through the slot (the
		 * arguments would have to move down the stack). */
		assert_true((shapes & HAS_JMP_MEM) ||
			    ((shapes & HAS_MOV_LOAD) && (shapes & HAS_JMP_REG)) ||
			    (WORD == 4 && (shapes & HAS_CALL_MEM)));
	}
	long (*const *slot)(long, long) = PF_SLOT(long(long, long), imp);
	assert_int_equal(site_slot_tail(slot, -5, 2), -3);
	check_ran_on_server();
}

static void call_through_gate_returns_sum(void **state)
{
	(void)state;
	/* i386 at -O2 calls through the pointer where it lies, in its stack
	 * argument (call dword ptr [esp+16]): the fetch at the gate faults
	 * all the same. */
	assert_true(shapes_in((const void *)site_gate_call) &
		    (WORD == 8 ? HAS_CALL_REG : HAS_CALL_REG | HAS_CALL_MEM));
	long (*fn)(long, long) = PF_GATE(long(long, long), imp);
	assert_int_equal(site_gate_call(fn, BIG, 1), BIG + 2);
	check_ran_on_server();
}

static void tail_call_to_gate_returns_sum(void **state)
{
	(void)state;
	unsigned shapes = shapes_in((const void *)site_gate_tail);
	if (WORD == 8)
		assert_true(shapes & (SITES_OPT == 0 ? HAS_CALL_REG : HAS_JMP_REG));
	else   /* as above: a jump or a call, through a register or the stack */
		assert_true(shapes & (HAS_CALL_REG | HAS_CALL_MEM | HAS_JMP_REG | HAS_JMP_MEM));
	long (*fn)(long, long) = PF_GATE(long(long, long), imp);
	assert_int_equal(site_gate_tail(fn, 7, 8), 15);
	check_ran_on_server();
}

static void slot_read_yields_gate(void **state)
{
	(void)state;
	/* A plain read of the slot is emulated: it yields the gate, so
	 * function-pointer code (compare, store, pass on) keeps working. */
	void *const *slot = pf_import_slot(imp);
	void *volatile seen = *(void *const volatile *)slot;
	assert_ptr_equal(seen, pf_import_gate(imp));
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(call_through_slot_returns_sum),
		cmocka_unit_test(tail_call_through_slot_returns_sum),
		cmocka_unit_test(call_through_gate_returns_sum),
		cmocka_unit_test(tail_call_to_gate_returns_sum),
		cmocka_unit_test(slot_read_yields_gate),
	};
	cmocka_set_message_output(CM_OUTPUT_STDOUT);
	int failed = _cmocka_run_group_tests("shapes " SITES_CC " -O" SITES_OPT_STR,
					     tests, sizeof tests / sizeof tests[0],
					     setup, teardown);
	pf_thread_detach();
	return failed;
}
