/* What keeps programs built against one version of pfipc working with the
 * next: the run-time version query, and pf_process_options read by its
 * size, with unknown non-zero fields refused. */
#include <stdio.h>
#include <string.h>
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

int main(void)
{
	pf_process *client;
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_numbers_match_the_headers),
		cmocka_unit_test(version_takes_null_pointers),
	};
	int failed = cmocka_run_group_tests_name("abi", tests, NULL, NULL);
	pf_thread_detach();
	return failed;
}
