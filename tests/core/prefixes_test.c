/* Prefixes on the instructions that call through a slot: those that keep
 * the instruction a 64-bit call are emulated as one, those that change what
 * the CPU would do are refused with the one-line diagnostic. The exact
 * bytes matter, so the calling code is written out in assembly. */
#include <sys/resource.h>
#include "../common.h"
#include "../death.h"
#include "entry/decode.h"

/* long NAME(void *const *slot, long x): loads SLOT into rax and X into rdi,
 * then runs CODE. */
#define SLOT_CALLER(name, code)                                              \
	long name(void *const *slot, long x);                                \
	__asm__(".text\n\t.type " #name ", @function\n" #name ":\n"          \
		"\tmov %rdi, %rax\n\tmov %rsi, %rdi\n" code                  \
		"\t.size " #name ", .-" #name "\n")
/* BYTES is a call through [rax]; the push keeps rsp 16-byte aligned at it. */
#define CALL_WITH(bytes) "\tpush %rbx\n\t.byte " bytes "\n\tpop %rbx\n\tret\n"
/* BYTES is a tail call through [rax]: the callee returns to our caller. */
#define JMP_WITH(bytes) "\t.byte " bytes "\n"

SLOT_CALLER(plain_call, CALL_WITH("0xff, 0x10"));                 /* call [rax] */
SLOT_CALLER(rex_w_call, CALL_WITH("0x48, 0xff, 0x10"));
SLOT_CALLER(data16_rex_w_call, CALL_WITH("0x66, 0x48, 0xff, 0x10"));
SLOT_CALLER(bnd_call, CALL_WITH("0xf2, 0xff, 0x10"));
SLOT_CALLER(bnd_jmp, JMP_WITH("0xf2, 0xff, 0x20"));               /* jmp [rax] */
SLOT_CALLER(data16_call, CALL_WITH("0x66, 0xff, 0x10"));
SLOT_CALLER(data16_jmp, JMP_WITH("0x66, 0xff, 0x20"));
/* A REX byte counts only right before the opcode: this is 66 without REX.W. */
SLOT_CALLER(rex_w_then_data16_call, CALL_WITH("0x48, 0x66, 0xff, 0x10"));
SLOT_CALLER(rep_call, CALL_WITH("0xf3, 0xff, 0x10"));
/* rep mov rdx, [rax]; call rdx: the -O0 shape with a prefix on the load. */
SLOT_CALLER(rep_load_then_call, CALL_WITH("0xf3, 0x48, 0x8b, 0x10, 0xff, 0xd2"));

static long triple(long x) { return 3 * x; }

static const struct one_export exports[] = {
	{ "prefix.triple", (void *)triple, 0, 0 }, { 0 } };

/* ---- accepted: the CPU makes a 64-bit call of these ------------------- */

static pf_process *server;
static void *const *slot;

static int setup(void **state)
{
	(void)state;
	server = start_server("prefix", exports);
	slot = pf_import_slot(import_ok("prefix.triple"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server(server);
	return 0;
}

static void plain_call_through_slot_is_a_call(void **state)
{
	(void)state;
	assert_int_equal(plain_call(slot, 14), 42);
	assert_int_equal(pf_errno(), 0);
}

static void rex_w_call_through_slot_is_a_call(void **state)
{
	(void)state;
	assert_int_equal(rex_w_call(slot, -5), -15);
	assert_int_equal(pf_errno(), 0);
}

static void data16_rex_w_call_through_slot_is_a_call(void **state)
{
	(void)state;
	assert_int_equal(data16_rex_w_call(slot, 1000), 3000);
	assert_int_equal(pf_errno(), 0);
}

static void bnd_call_through_slot_is_a_call(void **state)
{
	(void)state;
	assert_int_equal(bnd_call(slot, 7), 21);
	assert_int_equal(pf_errno(), 0);
}

static void bnd_jmp_through_slot_is_a_tail_call(void **state)
{
	(void)state;
	assert_int_equal(bnd_jmp(slot, 11), 33);
	assert_int_equal(pf_errno(), 0);
}

/* ---- refused: each in a forked child ---------------------------------- */

static void *const *child_slot(void)
{
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	pf_process *client, *victim;
	if (pf_process_join_self(&client, "client") ||
	    pf_process_create(&victim, "victim", NULL, export_list_init, (void *)exports))
		_exit(100);
	pf_import *imp;
	if (pf_import_create(&imp, "prefix.triple", 0))
		_exit(101);
	return pf_import_slot(imp);
}

static void check_refused(void (*child)(void), const char *what)
{
	struct death d = run_child(child);
	assert_int_equal(d.signal, SIGSEGV);
	assert_non_null(strstr(d.err, "pfipc: process \"client\""));
	assert_non_null(strstr(d.err, what));
	assert_non_null(strstr(d.err, "import \"prefix.triple\""));
	/* One line. */
	assert_non_null(strchr(d.err, '\n'));
	assert_null(strchr(strchr(d.err, '\n') + 1, '\n'));
}

static void run_data16_call(void) { data16_call(child_slot(), 1); }
static void run_data16_jmp(void) { data16_jmp(child_slot(), 1); }
static void run_rex_w_then_data16_call(void) { rex_w_then_data16_call(child_slot(), 1); }
static void run_rep_call(void) { rep_call(child_slot(), 1); }
static void run_rep_load_then_call(void) { rep_load_then_call(child_slot(), 1); }

static void data16_call_through_slot_dies_with_one_line(void **state)
{
	(void)state;
	check_refused(run_data16_call, "made a 16-bit (0x66-prefixed) call or jump through the slot of");
}

static void data16_jmp_through_slot_dies_with_one_line(void **state)
{
	(void)state;
	check_refused(run_data16_jmp, "made a 16-bit (0x66-prefixed) call or jump through the slot of");
}

static void rex_w_before_data16_does_not_make_it_64_bit(void **state)
{
	(void)state;
	check_refused(run_rex_w_then_data16_call, "made a 16-bit (0x66-prefixed) call or jump");
}

static void rep_call_through_slot_dies_with_one_line(void **state)
{
	(void)state;
	check_refused(run_rep_call, "used a 0xf3 prefix on the slot of");
}

static void rep_load_from_slot_dies_with_one_line(void **state)
{
	(void)state;
	check_refused(run_rep_load_then_call, "used a 0xf3 prefix on the slot of");
}

/* ---- the decoder, for forms that cannot reach the arena ----------------
 * A 0x67 address is 32 bits wide and the arena lies above 4 GiB, so these
 * never fault on a slot; the decoder still refuses them rather than compute
 * a 64-bit address. */

static void decoder_refuses_32_bit_addresses(void **state)
{
	(void)state;
	static const uint8_t forms[][8] = {
		{ 0x67, 0xff, 0x10 },                          /* call [eax] */
		{ 0x67, 0xff, 0x15, 0, 0, 0, 0 },              /* call [eip] */
		{ 0x67, 0xff, 0x14, 0x25, 0, 0, 0, 0x70 },     /* call [0x70000000] */
		{ 0x67, 0xff, 0x24, 0x25, 0, 0, 0, 0x70 },     /* jmp [0x70000000] */
		{ 0x67, 0x48, 0x8b, 0x14, 0x25, 0, 0, 0, },    /* mov rdx, [0] */
	};
	struct decoder *dec = decoder_open();
	assert_non_null(dec);
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct insn in;
		assert_true(decode_at(dec, (uintptr_t)forms[i], &in));
		assert_int_equal(in.kind, INSN_OTHER);
		assert_int_equal(in.prefix, 0x67);
	}
	decoder_close(dec);
}

static void decoder_accepts_the_prefixes_that_keep_a_64_bit_call(void **state)
{
	(void)state;
	static const struct { uint8_t bytes[8]; uint8_t kind, len; } forms[] = {
		{ { 0x48, 0xff, 0x10 }, INSN_CALL_MEM, 3 },
		{ { 0x66, 0x48, 0xff, 0x10 }, INSN_CALL_MEM, 4 },
		{ { 0xf2, 0xff, 0x10 }, INSN_CALL_MEM, 3 },
		{ { 0xf2, 0xff, 0x20 }, INSN_JMP_MEM, 3 },
		{ { 0x66, 0x48, 0x8b, 0x10 }, INSN_MOV_LOAD, 4 },   /* REX.W wins */
	};
	struct decoder *dec = decoder_open();
	assert_non_null(dec);
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct insn in;
		assert_true(decode_at(dec, (uintptr_t)forms[i].bytes, &in));
		assert_int_equal(in.kind, forms[i].kind);
		assert_int_equal(in.len, forms[i].len);
		assert_int_equal(in.prefix, 0);
	}
	decoder_close(dec);
}

int main(void)
{
	const struct CMUnitTest refusals[] = {
		cmocka_unit_test(data16_call_through_slot_dies_with_one_line),
		cmocka_unit_test(data16_jmp_through_slot_dies_with_one_line),
		cmocka_unit_test(rex_w_before_data16_does_not_make_it_64_bit),
		cmocka_unit_test(rep_call_through_slot_dies_with_one_line),
		cmocka_unit_test(rep_load_from_slot_dies_with_one_line),
		cmocka_unit_test(decoder_refuses_32_bit_addresses),
		cmocka_unit_test(decoder_accepts_the_prefixes_that_keep_a_64_bit_call),
	};
	const struct CMUnitTest calls[] = {
		cmocka_unit_test(plain_call_through_slot_is_a_call),
		cmocka_unit_test(rex_w_call_through_slot_is_a_call),
		cmocka_unit_test(data16_rex_w_call_through_slot_is_a_call),
		cmocka_unit_test(bnd_call_through_slot_is_a_call),
		cmocka_unit_test(bnd_jmp_through_slot_is_a_tail_call),
	};
	/* The children fork before this process has started any of its own. */
	int failed = cmocka_run_group_tests_name("prefixes that are refused", refusals, NULL, NULL);
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	failed += cmocka_run_group_tests_name("prefixes that keep a 64-bit call", calls,
					      setup, teardown);
	pf_thread_detach();
	return failed;
}
