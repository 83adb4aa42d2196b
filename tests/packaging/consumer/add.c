/* add.c - the smallest program built against an installed pfipc:
 *
 *   cc add.c $(pkg-config --cflags --libs pfipc) -o add
 *
 * It prints the library's version, the headers' version, the result of a
 * call through an import, and which file pf_version was loaded from (so a
 * test can tell the installed library from the one in a build tree). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pfipc.h>
#include <stdio.h>

static long add(long a, long b)
{
	return a + b;
}

static int math_init(void *arg)
{
	(void)arg;
	return pf_export("math.add", (void *)add, 0, 0);
}

int main(void)
{
	pf_process *math;
	pf_import *imp;
	int err;
	if ((err = pf_process_join_self(NULL, "client")) < 0 ||
	    (err = pf_process_create(&math, "math", NULL, math_init, NULL)) < 0 ||
	    (err = pf_import_create(&imp, "math.add", 0)) < 0) {
		fprintf(stderr, "add: %s\n", pf_strerror(err));
		return 1;
	}
	long sum = PF_GATE(long(long, long), imp)(40, 2);
	Dl_info where;
	if (!dladdr((void *)pf_version, &where))
		where.dli_fname = "?";
	printf("pfipc %s (headers %s): 40 + 2 = %ld, from %s\n",
	       pf_version(NULL, NULL, NULL), PFIPC_VERSION_STRING, sum,
	       where.dli_fname);
	return sum == 42 ? 0 : 1;
}
