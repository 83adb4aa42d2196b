/* What gdb_test.py runs under gdb: calls through every entry kind, with a
 * breakpoint in the export and one in the caller between calls. Prints
 * the sum and exits 0 when every call returned what it should. */
#include <pfipc.h>
#include <stdio.h>

__attribute__((noinline)) long target_export(long a, long b)
{
	__asm__ volatile("" ::: "memory");
	return a + b;
}

__attribute__((noinline)) void target_between(unsigned kind)
{
	__asm__ volatile("" : : "r"(kind) : "memory");
}

/* A raw syscall entry inside a function with a frame of its own: the
 * backtrace from the export must come back through it. */
__attribute__((noinline)) long target_raw_call(long nr, long a)
{
	volatile long local = a;
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(local), "S"(1L)
			 : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	return r + local - a;
}

static int init(void *arg)
{
	(void)arg;
	return pf_export("gt.add", (void *)target_export, 0, 0);
}

int main(void)
{
	pf_process *client, *server;
	pf_import *imp;
	if (pf_process_join_self(&client, "client") != 0 ||
	    pf_process_create(&server, "gt", NULL, init, NULL) != 0 ||
	    pf_import_create(&imp, "gt.add", 0) != 0)
		return 2;
	unsigned last = pf_entry_enable(PF_ENTRY_SYSCALL) == 0 ? PF_ENTRY_INT80 : PF_ENTRY_INT;
	long sum = 0, calls = 0;
	for (unsigned kind = PF_ENTRY_GATE; kind <= last; kind++) {
		long (*f)(long, long) = PF_ENTRY(long(long, long), imp, kind);
		for (long i = 0; i < 3; i++, calls++) {
			sum += f(i, 1);
			target_between(kind);
		}
	}
	if (last == PF_ENTRY_INT80)
		for (long i = 0; i < 3; i++, calls++) {
			sum += target_raw_call(pf_import_number(imp), i);
			target_between(PF_ENTRY_SYSCALL);
		}
	printf("calls %ld sum %ld\n", calls, sum);
	pf_thread_detach();
	return sum == calls / 3 * 6 ? 0 : 1;
}
