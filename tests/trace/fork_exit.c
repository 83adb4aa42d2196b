/* fork_exit: a traced program whose forked child exits after it. The
 * child's copy of the trace buffers must not overwrite the parent's trace
 * (trace_test.py counts the calls in the file). */
#include <pfipc.h>
#include <unistd.h>

static long echo(long x) { return x; }
static int init(void *arg) { (void)arg; return pf_export("fork.echo", (void *)echo, 0, 0); }

int main(void)
{
	pf_process *p;
	pf_import *imp;
	if (pf_process_join_self(NULL, "client") ||
	    pf_process_create(&p, "forker", NULL, init, NULL) ||
	    pf_import_create(&imp, "fork.echo", 0))
		return 2;
	PF_GATE(long(long), imp)(1);
	if (fork() == 0) {
		usleep(200000);   /* exits, running the at-exit hooks, after its parent */
		return 0;
	}
	PF_GATE(long(long), imp)(2);
	return 0;
}
