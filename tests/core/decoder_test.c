/* Capstone's first use, from many threads at once.
 *
 * Capstone sorts a library-wide table (its x86 register table) in place the
 * first time any handle decodes, behind a plain flag. pfipc must make that
 * first use happen once, before a second thread can decode; otherwise two
 * threads that open their decoders together sort the same table at the same
 * time. ThreadSanitizer sees that as a race (its qsort and memcpy
 * interceptors see both sorts); without it, a torn table shows as a wrong
 * operand. The first use happens once per process, so each trial runs in a
 * fresh child. Links the static library: decoder_open is internal. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../common.h"
#include "entry/decode.h"

#define TRIALS  100
#define THREADS 8

static atomic_int ready;
static atomic_bool go;

static void *open_decoder(void *out)
{
	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&go))
		sched_yield();
	*(struct decoder **)out = decoder_open();
	return NULL;
}

/* 0 when DEC decodes the samples as expected, else which one it got wrong. */
static int decodes_alike(struct decoder *dec)
{
	static const uint8_t call_rax[] = { 0xff, 0x10 };             /* call qword ptr [rax] */
	static const uint8_t mov_rdx[] = { 0x48, 0x8b, 0x10 };        /* mov rdx, qword ptr [rax] */
	/* mov rax, qword ptr [0x1000] (a0-a3 form, 32-bit address): rax is
	 * implicit in the encoding, and Capstone finds it in the table it
	 * sorts on first use. With rax it is a mov load, refused for its 0x67
	 * prefix; without (a torn table) it has one operand and is no mov. */
	static const uint8_t mov_rax[] = { 0x67, 0x48, 0xa1, 0, 0x10, 0, 0 };
	static const uint8_t in_al[] = { 0xec };                      /* in al, dx */
	struct insn in;
	if (!decode_at(dec, (uintptr_t)call_rax, &in) || in.kind != INSN_CALL_MEM ||
	    in.base != REG_RAX || in.len != 2)
		return 10;
	if (!decode_at(dec, (uintptr_t)mov_rdx, &in) || in.kind != INSN_MOV_LOAD ||
	    in.dest != REG_RDX || in.base != REG_RAX)
		return 11;
	if (!decode_at(dec, (uintptr_t)mov_rax, &in) || in.kind != INSN_OTHER ||
	    in.prefix != 0x67)
		return 12;
	char text[64];
	decode_text(dec, (uintptr_t)in_al, text, sizeof text);
	if (strcmp(text, "in al, dx") != 0)
		return 13;
	return 0;
}

/* In a fresh child: THREADS threads open their decoders at the same moment,
 * then each decoder must decode like the others. */
static int one_trial(void)
{
	decode_cache_enable(false);   /* every decode asks Capstone */
	pthread_t th[THREADS];
	struct decoder *dec[THREADS] = { 0 };
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, open_decoder, &dec[i]) != 0)
			return 2;
	while (atomic_load(&ready) < THREADS)
		sched_yield();
	atomic_store(&go, true);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		if (!dec[i])
			return 3;
		int wrong = decodes_alike(dec[i]);
		if (wrong)
			return wrong;
		decoder_close(dec[i]);
	}
	return 0;
}

static void decoders_opened_at_once_decode_alike(void **state)
{
	(void)state;
	for (int i = 0; i < TRIALS; i++) {
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(one_trial());
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		/* 66 is ThreadSanitizer's exit status after a report. */
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

static void decoder_opened_first_by_a_thread_decodes_alike(void **state)
{
	(void)state;
	/* The parent has never decoded; this is its first use, on one
	 * thread, after the trials' children have gone. */
	struct decoder *dec = decoder_open();
	assert_non_null(dec);
	assert_int_equal(decodes_alike(dec), 0);
	decoder_close(dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decoders_opened_at_once_decode_alike),
		cmocka_unit_test(decoder_opened_first_by_a_thread_decodes_alike),
	};
	return cmocka_run_group_tests_name("decoder", tests, NULL, NULL);
}
