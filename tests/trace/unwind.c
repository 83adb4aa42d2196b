/* unwind: a crash that unwinds a call in flight.
 *
 * An export switches to a small stack of its own (a guard page below it)
 * and calls another process from its very end: the fault is taken, the call
 * is captured, and pfipc's await path then overflows that stack. The crash
 * is the export's (it was serving), and recovery unwinds the call it had
 * made. Under PFIPC_TRACE (trace_test.py), that call's wait must end at the
 * crash and nest inside the export's slice.
 *
 * usage: unwind N   (N crashes; exits 0 when every one was contained) */
#include <alloca.h>
#include <pfipc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* What the call from the small stack leaves for pfipc's await path: far
 * less than its frames need. */
#define LEFT_FOR_PFIPC 256

static long echo(long x) { return x; }
static int peer_init(void *arg) { (void)arg; return pf_export("peer.echo", (void *)echo, 0, 0); }

static long (*volatile peer_gate)(long);
static uintptr_t guard_end;                 /* the small stack's lowest byte */
static ucontext_t outside, inside;

static void call_from_the_edge(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	volatile char *pad = alloca(sp - guard_end - LEFT_FOR_PFIPC);
	pad[0] = 1;
	peer_gate(1);   /* never returns: the await path overflows */
}

static long crash_entry(long x)
{
	(void)x;
	long page = sysconf(_SC_PAGESIZE);
	char *mem = mmap(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mprotect(mem, (size_t)page, PROT_NONE) != 0)
		return -1;
	guard_end = (uintptr_t)mem + (uintptr_t)page;
	getcontext(&inside);
	inside.uc_stack.ss_sp = mem + page;
	inside.uc_stack.ss_size = 2 * (size_t)page;
	inside.uc_link = &outside;
	makecontext(&inside, call_from_the_edge, 0);
	swapcontext(&outside, &inside);
	return 0;   /* not reached */
}

static long ping(long x) { return x + 1; }

static int crasher_init(void *arg)
{
	(void)arg;
	if (!peer_gate) {
		pf_import *imp;
		int rc = pf_import_create(&imp, "peer.echo", 0);
		if (rc)
			return rc;
		peer_gate = PF_GATE(long(long), imp);
	}
	int rc = pf_export("crasher.crash", (void *)crash_entry, 0, 0);
	return rc ? rc : pf_export("crasher.ping", (void *)ping, 0, 0);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3;
	pf_process *peer, *crasher;
	pf_import *crash_imp, *ping_imp;
	pf_process_options opts = { .restart = PF_RESTART_ALWAYS };
	if (pf_process_join_self(NULL, "client") ||
	    pf_process_create(&peer, "peer", NULL, peer_init, NULL) ||
	    pf_process_create(&crasher, "crasher", &opts, crasher_init, NULL) ||
	    pf_import_create(&crash_imp, "crasher.crash", 0) ||
	    pf_import_create(&ping_imp, "crasher.ping", 0))
		return 2;
	for (long i = 0; i < n; i++) {
		PF_GATE(long(long), crash_imp)(i);
		if (pf_errno() != -EOWNERDEAD) {
			fprintf(stderr, "unwind: call %ld: %s\n", i, pf_error_message());
			return 3;
		}
		for (int tries = 0; PF_GATE(long(long), ping_imp)(1) != 2; tries++) {
			if (tries > 10000)
				return 4;
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		}
	}
	pf_process_stop(crasher);
	pf_process_join(crasher);
	pf_process_stop(peer);
	pf_process_join(peer);
	return 0;
}
