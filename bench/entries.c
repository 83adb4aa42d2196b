/*
 * entries.c — every entry mechanism: its bare floor beside a pf call
 * through it, message passing and migrating, in the same interleaved run.
 *
 * A floor is the kernel's round trip for that entry with a handler that
 * does the least it can to resume: int3 -> SIGTRAP (the kernel already
 * resumes past it), ud2 -> SIGILL and int $0x81 -> SIGSEGV (skip the two
 * bytes), syscall and int $0x80 under Syscall User Dispatch -> SIGSYS (set
 * rax). The floor handlers are installed with the raw rt_sigaction around
 * each batch, so pfipc's handler (which keeps these signals, and would
 * otherwise be the one passing them on) is not in the figure; pfipc's is
 * put back after. Syscall User Dispatch is switched per thread, and the
 * measuring thread may be one that pfipc already switched it on for, so
 * those two floors run on a thread of their own, which arms its own
 * selector once.
 *
 * A pf case calls the import's stub for that entry (pf_import_entry) in a
 * loop, as the pf_gate case calls the gate: against an export served on
 * the other CPU (message passing: held to floor + spin ping-pong), and a
 * PF_EXPORT_MIGRATE one (held to the floor alone).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <pfipc.h>

#include "bench.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif

/* ----------------------------------------------------------- handlers */

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
}

static void skip_two(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[CTX_PC] += 2;
}

static void on_sys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[CTX_RET] = 0;
}

/* ------------------------------------------------------------- floors */

enum floor_kind { FLOOR_INT3, FLOOR_UD2, FLOOR_INT, FLOOR_SYSCALL, FLOOR_INT80 };

struct floor {
	enum floor_kind kind;
	struct raw_swap swap;
	struct cpu_saved saved;
	/* Syscall User Dispatch floors: their own thread. */
	struct peer *peer;
	uint64_t ns;
};

static void run_floor_loop(enum floor_kind kind, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		switch (kind) {
		case FLOOR_INT3:
			__asm__ volatile("int3" ::: "memory");
			break;
		case FLOOR_UD2:
			__asm__ volatile("ud2" ::: "memory");
			break;
		case FLOOR_INT:
			__asm__ volatile("int $0x81" ::: "memory");
			break;
		case FLOOR_SYSCALL: {
#if defined(__x86_64__)
			long r;
			__asm__ volatile("syscall"
					 : "=a"(r)
					 : "a"(0x10000000L)
					 : "rcx", "r11", "memory");
#endif
			break;
		}
		case FLOOR_INT80: {
			long r;
			__asm__ volatile("int $0x80"
					 : "=a"(r)
					 : "a"(0x10000000L)
					 : "memory");
			break;
		}
		}
	}
}

/* The dispatching thread's selector and the C library's code, where the
 * handler's own return (rt_sigreturn) is allowed. */
static __thread volatile char selector;

struct segment {
	uintptr_t addr, lo, len;
};

static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct segment *s = arg;

	(void)size;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
		    s->addr >= lo && s->addr - lo < ph->p_memsz) {
			s->lo = lo;
			s->len = ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

static int sud_thread_init(void *arg)
{
	struct segment libc = { .addr = (uintptr_t)&syscall };

	(void)arg;
	if (!dl_iterate_phdr(find_segment, &libc))
		return -ENOENT;
#if defined(__i386__)
	/* The handler returns through the vDSO's rt_sigreturn, which must
	 * be allowed too: the range runs from the C library up to it (the
	 * bench's own code lies below). */
	struct segment vdso = { .addr = (uintptr_t)getauxval(AT_SYSINFO) };
	if (!vdso.addr || !dl_iterate_phdr(find_segment, &vdso))
		return -ENOENT;
	if (vdso.lo + vdso.len > libc.lo + libc.len)
		libc.len = vdso.lo + vdso.len - libc.lo;
#endif
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, libc.lo,
		  libc.len, &selector) != 0)
		return -errno;
	selector = 1; /* block: everything outside the C library */
	return 0;
}

static void sud_thread_batch(void *arg, uint64_t iters)
{
	struct floor *f = arg;
	uint64_t t0 = now_ns();

	run_floor_loop(f->kind, iters);
	f->ns = now_ns() - t0;
}

static int floor_setup(void *ctx, const char **why)
{
	struct floor *f = ctx;

	if (!raw_find_restorer()) {
		*why = "the C library's signal restorer was not found";
		return -1;
	}
	if (f->kind == FLOOR_SYSCALL && sizeof(void *) == 4) {
		*why = "i386: `syscall` is no system-call gate of 32-bit code";
		return -1;
	}
	if (f->kind == FLOOR_SYSCALL || f->kind == FLOOR_INT80) {
		if (peer_start(&f->peer, sud_thread_batch, f, cpu_a(),
			       sud_thread_init, NULL) != 0) {
			*why = "no Syscall User Dispatch (Linux >= 5.11)";
			return -1;
		}
	}
	return 0;
}

static void floor_begin(void *ctx)
{
	struct floor *f = ctx;

	cpu_pin(cpu_a(), &f->saved);
	raw_swap_in(&f->swap);
}

static void floor_end(void *ctx)
{
	struct floor *f = ctx;

	raw_swap_out(&f->swap);
	cpu_unpin(&f->saved);
}

static uint64_t floor_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct floor *f = ctx;
	uint64_t t0;

	*ops = iters;
	if (f->peer) {
		peer_kick(f->peer, iters);
		peer_wait(f->peer);
		return f->ns;
	}
	t0 = now_ns();
	run_floor_loop(f->kind, iters);
	return now_ns() - t0;
}

#define FLOOR_OF(k, s, h) { .kind = k, .swap = { .sig = s, .handler = h } }
static struct floor floor_int3 = FLOOR_OF(FLOOR_INT3, SIGTRAP, on_trap);
static struct floor floor_ud2 = FLOOR_OF(FLOOR_UD2, SIGILL, skip_two);
static struct floor floor_int = FLOOR_OF(FLOOR_INT, SIGSEGV, skip_two);
static struct floor floor_syscall = FLOOR_OF(FLOOR_SYSCALL, SIGSYS, on_sys);
static struct floor floor_int80 = FLOOR_OF(FLOOR_INT80, SIGSYS, on_sys);

/* --------------------------------------------------------- pf calls */

__attribute__((noinline)) static long ent_add(long a, long b)
{
	return a + b;
}

typedef long add_fn(long, long);

static pf_process *client;
static int servers_err = 1; /* 1: not tried yet */
static pf_import *imp_msg, *imp_mig;

/* Runs on the server's thread: the message-passing one is pinned to the
 * CPU the caller is not on, as pf_gate's server is. */
static int ent_init(void *arg)
{
	struct cpu_saved ignored;

	if (arg)
		cpu_pin(cpu_b(), &ignored);
	return pf_export(arg ? "bent.add" : "bentm.add", (void *)ent_add, PF_STACK_AUTO,
			 arg ? 0 : PF_EXPORT_MIGRATE);
}

/* The client (shared with pf_cases.c when it joined first) and the two
 * servers, once. */
static int servers_start(void)
{
	pf_process *p;

	if (servers_err != 1)
		return servers_err;
	servers_err = 0;
	if (!pf_self())
		servers_err = pf_process_join_self(&client, "bench");
	if (!servers_err)
		servers_err = pf_process_create(&p, "bench_ent", NULL, ent_init, "pin");
	if (!servers_err)
		servers_err = pf_process_create(&p, "bench_entm", NULL, ent_init, NULL);
	if (!servers_err)
		servers_err = pf_import_create(&imp_msg, "bent.add", 0);
	if (!servers_err)
		servers_err = pf_import_create(&imp_mig, "bentm.add", 0);
	return servers_err;
}

struct entry_case {
	unsigned kind;  /* PF_ENTRY_* */
	bool migrating;
	add_fn *stub;
	struct cpu_saved saved;
	char why[96];
};

__attribute__((noinline)) static long loop_stub(add_fn *stub, uint64_t iters)
{
	long acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		acc = stub(acc, 1);
	}
	return acc;
}

static int entry_setup(void *ctx, const char **why)
{
	struct entry_case *ec = ctx;
	void *stub = NULL;
	int err = servers_start();

	if (!err)
		err = pf_import_entry(ec->migrating ? imp_mig : imp_msg, ec->kind, &stub);
	if (err) {
		snprintf(ec->why, sizeof(ec->why), "%s (%d)", pf_strerror(err), err);
		*why = ec->why;
		return -1;
	}
	ec->stub = (add_fn *)stub;
	if (loop_stub(ec->stub, 1) != 1 || pf_errno() != 0) {
		snprintf(ec->why, sizeof(ec->why), "first call failed (pf_errno %d)",
			 pf_errno());
		*why = ec->why;
		return -1;
	}
	return 0;
}

static void entry_begin(void *ctx)
{
	struct entry_case *ec = ctx;

	cpu_pin(cpu_a(), &ec->saved);
}

static void entry_end(void *ctx)
{
	struct entry_case *ec = ctx;

	cpu_unpin(&ec->saved);
}

static uint64_t entry_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct entry_case *ec = ctx;
	uint64_t t0 = now_ns();
	long got = loop_stub(ec->stub, iters);
	uint64_t t1 = now_ns();

	if (got != (long)iters || pf_errno() != 0)
		fprintf(stderr, "pfbench: wrong result %ld (pf_errno %d)\n", got,
			pf_errno());
	*ops = iters;
	return t1 - t0;
}

static struct entry_case entry_cases[5][2];
static const struct {
	unsigned kind;
	const char *name;
	const char *what;
} ENTRIES[] = {
	{ PF_ENTRY_TRAP, "trap", "int3 stub" },
	{ PF_ENTRY_UD2, "ud2", "ud2 stub" },
	{ PF_ENTRY_INT, "int", "int $0x81 stub" },
	{ PF_ENTRY_SYSCALL, "syscall", "syscall stub (SUD)" },
	{ PF_ENTRY_INT80, "int80", "int $0x80 stub (SUD)" },
};
static char entry_names[5][2][24], entry_labels[5][2][64];

/* ----------------------------------------------------------- register */

#define FLOOR(n, f, lbl)                                                    \
	case_add(l, &(struct bench_case){ .name = n, .group = "floor",      \
					  .label = lbl, .ctx = f,           \
					  .setup = floor_setup,             \
					  .begin = floor_begin,             \
					  .end = floor_end, .run = floor_run })

/* AddressSanitizer's and ThreadSanitizer's runtimes make system calls of
 * their own (mmap for their allocators and traces) from outside the C
 * library: on a floor's dispatching thread those reach on_sys, which
 * answers every one with 0, and the runtime breaks. So a build with either
 * has no Syscall User Dispatch floors (the reports show them as n/a). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SUD_FLOORS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SUD_FLOORS 0
#endif
#endif
#ifndef SUD_FLOORS
#define SUD_FLOORS 1
#endif

void entries_register(struct case_list *l)
{
	FLOOR("floor_int3", &floor_int3, "int3 -> SIGTRAP, bare handler");
	FLOOR("floor_ud2", &floor_ud2, "ud2 -> SIGILL, handler skips it");
	FLOOR("floor_int", &floor_int, "int $0x81 -> SIGSEGV (#GP), skip");
	if (SUD_FLOORS) {
		FLOOR("floor_syscall", &floor_syscall, "syscall -> SIGSYS (SUD)");
		FLOOR("floor_int80", &floor_int80, "int $0x80 -> SIGSYS (SUD)");
	}
	for (unsigned i = 0; i < 5; i++) {
		for (unsigned m = 0; m < 2; m++) {
			struct entry_case *ec = &entry_cases[i][m];

			ec->kind = ENTRIES[i].kind;
			ec->migrating = m;
			snprintf(entry_names[i][m], sizeof(entry_names[i][m]),
				 "pf_%s%s", ENTRIES[i].name, m ? "_mig" : "");
			snprintf(entry_labels[i][m], sizeof(entry_labels[i][m]),
				 "pf call, %s%s", ENTRIES[i].what,
				 m ? ", migrating" : "");
			case_add(l, &(struct bench_case){
				.name = entry_names[i][m], .group = "pfipc",
				.label = entry_labels[i][m], .ctx = ec,
				.setup = entry_setup, .begin = entry_begin,
				.end = entry_end, .run = entry_run });
		}
	}
}
