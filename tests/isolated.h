/* Suites that run twice: with their servers in the program, and with
 * every process they create isolated (PF_ISOLATE_SPACE), when meson runs
 * them a second time with PFIPC_TEST_ISOLATE=1.
 *
 * An isolated process has its own copy of the program's memory, as it was
 * at pf_init: what a test and its servers must both see (counters a server
 * bumps, a message it records) lives in memory mapped shared before
 * pf_init (test_shared), and what a server writes through a caller's
 * pointer goes through pf_copy_to_caller, which reaches the caller's
 * memory in both runs. */
#ifndef PF_TEST_ISOLATED_H
#define PF_TEST_ISOLATED_H

#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pfipc.h>

/* Are this run's processes isolated? */
static inline bool test_isolated(void)
{
	const char *s = getenv("PFIPC_TEST_ISOLATE");
	return s && s[0] == '1';
}

/* OPTS (NULL: defaults) as this run creates processes. */
static inline pf_process_options test_options(const pf_process_options *opts)
{
	pf_process_options o = { 0 };
	if (opts)
		o = *opts;
	o.size = sizeof o;
	if (test_isolated())
		o.isolation = PF_ISOLATE_SPACE;
	return o;
}

/* pf_process_create, isolated in the isolated run. */
static inline int test_process_create(pf_process **out, const char *name,
				      const pf_process_options *opts, pf_init_fn init, void *arg)
{
	pf_process_options o = test_options(opts);
	return pf_process_create(out, name, &o, init, arg);
}

static long test_os_pid(void)
{
	return getpid();
}

static int test_pid_init(void *arg)
{
	(void)arg;
	return pf_export("isocheck.pid", (void *)test_os_pid, PF_STACK_AUTO, 0);
}

/* Does this run create processes as it says (in the isolated run, each in
 * an OS process of its own)? Checked once, from a thread of a process,
 * so that the isolated run cannot pass by isolating nothing. */
static inline bool test_isolation_as_said(void)
{
	pf_process *p;
	pf_import *imp;
	if (test_process_create(&p, "isocheck", NULL, test_pid_init, NULL) != 0 ||
	    pf_import_create(&imp, "isocheck.pid", 0) != 0)
		return false;
	long pid = PF_GATE(long(void), imp)();
	bool as_said = pf_errno() == 0 && (pid != getpid()) == test_isolated();
	pf_process_stop(p);
	pf_process_join(p);
	return as_said;
}

/* N zeroed bytes that the program and every isolated process see alike.
 * Call before pf_init (before the first pf_ call), or an isolated process
 * will not have it. NULL without memory. */
static inline void *test_shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

#endif
