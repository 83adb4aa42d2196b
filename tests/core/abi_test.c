/* What keeps programs built against one version of pfipc working with the
 * next: the run-time version query, and pf_process_options read by its
 * size, with unknown non-zero fields refused. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "../common.h"

/* ---- version ------------------------------------------------------------ */

static void version_numbers_match_the_headers(void **state)
{
	(void)state;
	unsigned major = 99, minor = 99, patch = 99;
	const char *s = pf_version(&major, &minor, &patch);
	assert_int_equal(major, PFIPC_VERSION_MAJOR);
	assert_int_equal(minor, PFIPC_VERSION_MINOR);
	assert_int_equal(patch, PFIPC_VERSION_PATCH);
	assert_string_equal(s, PFIPC_VERSION_STRING);
	char built[32];
	snprintf(built, sizeof built, "%u.%u.%u", major, minor, patch);
	assert_string_equal(s, built);
	assert_true(PFIPC_VERSION_AT_LEAST(PFIPC_VERSION_MAJOR, PFIPC_VERSION_MINOR));
	assert_false(PFIPC_VERSION_AT_LEAST(PFIPC_VERSION_MAJOR + 1, 0));
}

static void version_takes_null_pointers(void **state)
{
	(void)state;
	assert_string_equal(pf_version(NULL, NULL, NULL), PFIPC_VERSION_STRING);
}

/* ---- options ------------------------------------------------------------ */

static int empty_init(void *arg)
{
	(void)arg;
	return 0;
}

/* Create and stop a process with OPTS; the result of pf_process_create. */
static int create_with(const char *name, const pf_process_options *opts)
{
	pf_process *p = NULL;
	int rc = pf_process_create(&p, name, opts, empty_init, NULL);
	if (rc == 0)
		stop_server(p);
	return rc;
}

/* N bytes that end where an inaccessible page begins: reading one byte
 * past them faults. */
static void *at_page_end(size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(two != MAP_FAILED);
	assert_int_equal(mprotect(two + page, (size_t)page, PROT_NONE), 0);
	memset(two, 0, (size_t)page);
	return two + page - n;
}

static void free_page_end(void *p, size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	munmap((char *)p + n - page, 2 * (size_t)page);
}

static void options_null_or_zeroed_give_the_defaults(void **state)
{
	(void)state;
	pf_process_options zeroed;
	memset(&zeroed, 0, sizeof zeroed);
	assert_int_equal(create_with("abi_null", NULL), 0);
	assert_int_equal(create_with("abi_zeroed", &zeroed), 0);
	pf_process_options sized = { .size = sizeof sized, .threads = 3 };
	assert_int_equal(create_with("abi_sized", &sized), 0);
}

static void options_size_0_reads_only_the_first_layout(void **state)
{
	(void)state;
	assert_true(PF_PROCESS_OPTIONS_SIZE_0 <= sizeof(pf_process_options));
	pf_process_options *o = at_page_end(PF_PROCESS_OPTIONS_SIZE_0);
	o->size = 0;
	o->threads = 2;
	assert_int_equal(create_with("abi_size0", o), 0);
	free_page_end(o, PF_PROCESS_OPTIONS_SIZE_0);
}

/* The struct of a program that knows only the first fields: the library
 * reads what it has and nothing past it (the page after it is
 * inaccessible: a read there would crash the test). */
static void options_shorter_struct_is_read_up_to_its_size(void **state)
{
	(void)state;
	size_t n = PF_PROCESS_OPTIONS_SIZE_MIN;
	pf_process_options *o = at_page_end(n);
	o->size = n;
	o->threads = 2;
	assert_int_equal(create_with("abi_short", o), 0);
	free_page_end(o, n);
}

static long long sleeper(void)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	return 1;
}

static int sleeper_init(void *arg)
{
	(void)arg;
	return pf_export("abisleep.sleep", (void *)sleeper, 0, 0);
}

/* Calls the slow export; returns how the call went (its pf_errno). */
static int call_sleeper_init(void *arg)
{
	(void)arg;
	pf_import *imp;
	int rc = pf_import_create(&imp, "abisleep.sleep", 0);
	if (rc)
		return rc;
	PF_GATE(long long(void), imp)();
	return pf_errno();
}

/* A field inside a short struct's size is used: call_timeout_ns (the
 * third word) makes the init's call to a slow export time out. */
static void options_field_inside_a_short_size_is_used(void **state)
{
	(void)state;
	pf_process *slow;
	assert_int_equal(pf_process_create(&slow, "abi_slow", NULL, sleeper_init, NULL), 0);
	size_t n = offsetof(pf_process_options, call_timeout_ns) + sizeof(int64_t);
	pf_process_options *o = at_page_end(n);
	o->size = n;
	o->call_timeout_ns = 1000 * 1000;   /* 1 ms, against a 200 ms call */
	pf_process *caller = NULL;
	int rc = pf_process_create(&caller, "abi_timeout", o, call_sleeper_init, NULL);
	assert_int_equal(rc, -ETIMEDOUT);
	free_page_end(o, n);
	stop_server(slow);
}

/* A program built against a newer header passes a bigger struct: zero
 * bytes past what this library knows are fine, anything else is refused. */
static void options_unknown_bytes_past_the_struct_must_be_zero(void **state)
{
	(void)state;
	size_t n = sizeof(pf_process_options) + 16;
	unsigned char *bytes = at_page_end(n);
	pf_process_options *o = (pf_process_options *)bytes;
	o->size = n;
	assert_int_equal(create_with("abi_newer_zero", o), 0);
	bytes[n - 1] = 1;
	assert_int_equal(create_with("abi_newer_set", o), -EINVAL);
	free_page_end(o, n);
}

static void options_nonzero_reserved_word_fails_with_einval(void **state)
{
	(void)state;
	size_t words = sizeof ((pf_process_options *)0)->reserved / sizeof(uint64_t);
	for (size_t i = 0; i < words; i++) {
		pf_process_options o = { .size = sizeof o };
		o.reserved[i] = 1;
		assert_int_equal(create_with("abi_reserved", &o), -EINVAL);
	}
	/* Size 0 covers the reserved words too. */
	pf_process_options o = { .size = 0 };
	o.reserved[0] = 1u << 20;
	assert_int_equal(create_with("abi_reserved0", &o), -EINVAL);
}

static void options_bad_size_fails_with_einval(void **state)
{
	(void)state;
	pf_process_options o = { .size = 12 };   /* not a multiple of 8 */
	assert_int_equal(create_with("abi_size12", &o), -EINVAL);
	o.size = 8;                              /* below the minimum */
	assert_int_equal(create_with("abi_size8", &o), -EINVAL);
}

static void options_unknown_restart_policy_fails_with_einval(void **state)
{
	(void)state;
	pf_process_options o = { .size = sizeof o, .restart = 2 };
	assert_int_equal(create_with("abi_restart", &o), -EINVAL);
}

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_numbers_match_the_headers),
		cmocka_unit_test(version_takes_null_pointers),
		cmocka_unit_test(options_null_or_zeroed_give_the_defaults),
		cmocka_unit_test(options_size_0_reads_only_the_first_layout),
		cmocka_unit_test(options_shorter_struct_is_read_up_to_its_size),
		cmocka_unit_test(options_field_inside_a_short_size_is_used),
		cmocka_unit_test(options_unknown_bytes_past_the_struct_must_be_zero),
		cmocka_unit_test(options_nonzero_reserved_word_fails_with_einval),
		cmocka_unit_test(options_bad_size_fails_with_einval),
		cmocka_unit_test(options_unknown_restart_policy_fails_with_einval),
	};
	int failed = cmocka_run_group_tests_name("abi", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
