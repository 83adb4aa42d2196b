/* Helpers shared by the test suites. */
#ifndef PF_TEST_COMMON_H
#define PF_TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pfipc.h>
#include "isolated.h"

/* Start a process whose init exports NAME → FN with STACK bytes and FLAGS. */
struct one_export {
	const char *name;
	void *fn;
	size_t stack_bytes;
	unsigned flags;
};

static inline int export_list_init(void *arg)
{
	for (const struct one_export *e = arg; e->name; e++) {
		int rc = pf_export(e->name, e->fn, e->stack_bytes, e->flags);
		if (rc)
			return rc;
	}
	return 0;
}

static inline pf_process *start_server(const char *name,
				       const struct one_export *exports)
{
	pf_process *p = NULL;
	int rc = test_process_create(&p, name, NULL, export_list_init, (void *)exports);
	assert_int_equal(rc, 0);
	return p;
}

static inline void stop_server(pf_process *p)
{
	assert_int_equal(pf_process_stop(p), 0);
	assert_int_equal(pf_process_join(p), 0);
}

static inline pf_import *import_ok(const char *name)
{
	pf_import *imp = NULL;
	assert_int_equal(pf_import_create(&imp, name, 0), 0);
	return imp;
}

#endif
