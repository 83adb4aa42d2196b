/* A stack overflow inside an export that calls other processes is a crash
 * of that process, wherever the overflow lands: in the export's own frames,
 * in the CALL's push, in the return address the fault handler pushes for a
 * call through a slot, or in pfipc's own await path. Its callers get
 * -EOWNERDEAD, it restarts, and the process it was calling keeps answering.
 *
 * The export recurses with an untouched alloca of random size at every
 * level, so the stack pointer meets the guard page at a different place
 * each time, and calls the peer at every level, through a slot
 * (`call qword ptr [reg]`, where the handler pushes the return address) or
 * through a gate (`call reg`, where the CALL pushes it). */
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../common.h"
#include "../sanitizers.h"

#define OVERFLOWS 100

static long echo(long x) { return x; }

static const struct one_export peers[] = { { "peer.echo", (void *)echo, PF_STACK_AUTO, 0 }, { 0 } };

/* Set by the diver's init; memory survives a restart, so the import is
 * made once. */
static long (*const *volatile peer_slot)(long);
static long (*volatile peer_gate)(long);
static _Thread_local unsigned dive_seed;

/* Not instrumented by ThreadSanitizer: an overflow inside its runtime,
 * unwound by containment, would break it (tests/sanitizers.h). */
#pragma GCC diagnostic ignored "-Winfinite-recursion"
PF_TEST_NOT_INSTRUMENTED __attribute__((noinline)) static long dive_slot(long n)
{
	/* untouched; the pointer itself volatile, so no compiler drops the
	 * alloca (gcc does under ThreadSanitizer, and the recursion then
	 * outgrows its shadow stack before the real one) */
	char *volatile pad = alloca(rand_r(&dive_seed) % 3001);
	long (*const *slot)(long) = peer_slot;
	long r = (*slot)(n);
	return dive_slot(n + 1) + r + (pad != NULL);
}

PF_TEST_NOT_INSTRUMENTED __attribute__((noinline)) static long dive_gate(long n)
{
	char *volatile pad = alloca(rand_r(&dive_seed) % 3001);
	long r = peer_gate(n);
	return dive_gate(n + 1) + r + (pad != NULL);
}

static long ping(long x) { return x + 1; }
static long slot_entry(long seed) { dive_seed = (unsigned)seed; return dive_slot(0); }
static long gate_entry(long seed) { dive_seed = (unsigned)seed; return dive_gate(0); }

static int diver_init(void *arg)
{
	(void)arg;
	if (!peer_gate) {
		pf_import *imp;
		int rc = pf_import_create(&imp, "peer.echo", 0);
		if (rc)
			return rc;
		peer_slot = PF_SLOT(long(long), imp);
		peer_gate = PF_GATE(long(long), imp);
	}
	int rc = pf_export("diver.slot", (void *)slot_entry, PF_STACK_AUTO, 0);
	if (!rc)
		rc = pf_export("diver.gate", (void *)gate_entry, PF_STACK_AUTO, 0);
	return rc ? rc : pf_export("diver.ping", (void *)ping, PF_STACK_AUTO, 0);
}

static void overflows_are_contained(const char *name)
{
	pf_process *peer = start_server("peer", peers);
	pf_process *diver;
	peer_gate = NULL;   /* a new diver makes its own import */
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	assert_int_equal(pf_process_create(&diver, "diver", &opts, diver_init, NULL), 0);
	pf_import *imp = import_ok(name), *echo_imp = import_ok("peer.echo");
	long (*dive)(long) = PF_GATE(long(long), imp);
	long (*peer_echo)(long) = PF_GATE(long(long), echo_imp);
	long (*diver_ping)(long) = PF_GATE(long(long), import_ok("diver.ping"));
	for (long i = 0; i < OVERFLOWS; i++) {
		assert_int_equal(dive(i + 1), 0);
		assert_int_equal(pf_errno(), -EOWNERDEAD);
		if (!strstr(pf_error_message(), "crashed")) {
			fprintf(stderr, "%s\n", pf_error_message());
			fail();
		}
		/* The process it was calling still answers. */
		assert_int_equal(peer_echo(i), i);
		assert_int_equal(pf_errno(), 0);
		/* Calls made while the diver restarts fail too: wait until the
		 * new incarnation answers before the next dive. */
		int tries = 0;
		while (diver_ping(1) != 2) {
			assert_int_equal(pf_errno(), -EOWNERDEAD);
			assert_true(++tries < 10000);
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
	}
	assert_int_equal(pf_process_crashes(diver), OVERFLOWS);
	stop_server(diver);
	stop_server(peer);
}

static void overflow_calling_through_a_slot_is_contained(void **s)
{
	(void)s;
	overflows_are_contained("diver.slot");
}

static void overflow_calling_through_a_gate_is_contained(void **s)
{
	(void)s;
	overflows_are_contained("diver.gate");
}

int main(void)
{
	/* 200 crashes on purpose: no line for each. */
	setenv("PFIPC_QUIET_CRASHES", "1", 1);
	assert_int_equal(pf_process_join_self(NULL, "client"), 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overflow_calling_through_a_slot_is_contained),
		cmocka_unit_test(overflow_calling_through_a_gate_is_contained),
	};
	return cmocka_run_group_tests_name("stack overflows", tests, NULL, NULL);
}
