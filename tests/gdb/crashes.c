/* crashes: calls through imports that gdb must let through, then one
 * genuine crash that gdb must stop at. Run by gdb_test.py under gdb.
 *
 * usage: crashes null    a NULL dereference in main after 6 calls
 *        crashes store   a store into an import's slot (pfipc refuses it:
 *                        the program dies by SIGSEGV) after 6 calls */
#include <pfipc.h>
#include <stdio.h>
#include <string.h>

static long add(long a, long b) { return a + b; }
static int math_init(void *arg) { (void)arg; return pf_export("math.add", (void *)add, 0, 0); }

static int *volatile nowhere;

__attribute__((noinline)) static int null_dereference(void)
{
	return *nowhere;
}

__attribute__((noinline)) static void store_into_slot(pf_import *imp)
{
	*(void *volatile *)pf_import_slot(imp) = NULL;
}

int main(int argc, char **argv)
{
	pf_process *math;
	pf_import *imp;
	if (argc < 2 || pf_process_join_self(NULL, "client") ||
	    pf_process_create(&math, "math", NULL, math_init, NULL) ||
	    pf_import_create(&imp, "math.add", 0))
		return 2;
	long sum = 0;
	for (int i = 0; i < 3; i++) {
		sum = PF_GATE(long(long, long), imp)(sum, 1);
		sum = (*PF_SLOT(long(long, long), imp))(sum, 1);
	}
	printf("crashes: 6 calls made, sum %ld\n", sum);
	fflush(stdout);
	if (strcmp(argv[1], "null") == 0)
		return null_dereference();
	store_into_slot(imp);
	return 0;
}
