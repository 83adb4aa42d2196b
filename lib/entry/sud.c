#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "entry/sud.h"
#include "proc/thread.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#define SELECTOR_ALLOW 0
#define SELECTOR_BLOCK 1

/* Each thread's selector, read by the kernel at every system call. */
static __thread volatile char selector __attribute__((tls_model("initial-exec")));
static __thread bool armed __attribute__((tls_model("initial-exec")));

static pthread_once_t probed = PTHREAD_ONCE_INIT;
static int support = -EOPNOTSUPP;
static uintptr_t libc_lo, libc_len, restorer;
static atomic_bool enabled;

uintptr_t sud_restorer(void)
{
	return restorer;
}

void sud_allow(void)
{
	selector = SELECTOR_ALLOW;
}

void sud_block(void)
{
	selector = SELECTOR_BLOCK;
}

/* The executable segment of the object holding ADDR. */
struct segment_of {
	uintptr_t addr, lo, len;
};

static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct segment_of *s = arg;
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

/* The kernel's view of pfipc's SIGSYS action: its restorer. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static int switch_on(void)
{
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, libc_lo, libc_len,
		  &selector) != 0)
		return -errno;
	selector = SELECTOR_BLOCK;
	armed = true;
	return 0;
}

static void switch_off(void)
{
	selector = SELECTOR_ALLOW;
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	armed = false;
}

/* A probe's system call and what its handler answers. */
#define PROBE_NR     0x0fffffffL
#define PROBE_ANSWER 0x5ad

static void answer_probe(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RAX] = PROBE_ANSWER;
}

/* Does dispatching really work here? A tool that runs the program on a
 * virtual CPU (valgrind) hands the prctl to the kernel, which then
 * dispatches the tool's own system calls and kills it. So it is tried
 * first in a child: a copy made by a raw clone with no exit signal, which
 * no SIGCHLD handler or waitpid(-1) of the program sees, and which only
 * makes system calls through the C library until its dispatched one. */
static bool dispatch_works(void)
{
	long pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid < 0)
		return false;
	if (pid == 0) {
		struct kernel_sigaction k = { (void *)answer_probe,
					      SA_SIGINFO | 0x04000000 /* SA_RESTORER */,
					      (void *)restorer, 0 };
		long r = -1;
		if (syscall(SYS_rt_sigaction, SIGSYS, &k, NULL, sizeof k.mask) == 0 &&
		    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, libc_lo, libc_len,
			  &selector) == 0) {
			selector = SELECTOR_BLOCK;
			__asm__ volatile("syscall" : "=a"(r) : "a"(PROBE_NR) : "rcx", "r11", "memory");
		}
		syscall(SYS_exit, r == PROBE_ANSWER ? 0 : 1);
	}
	int status;
	while (waitpid((pid_t)pid, &status, __WALL) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Everything SUD needs, checked once: the C library's code (where the
 * system calls that must never be dispatched are), its restorer inside it
 * with the instructions an rt_sigreturn reroute relies on, and a kernel
 * that dispatches. */
static void probe(void)
{
	const char *env = getenv("PFIPC_SYSCALL_ENTRY");
	if (env && strcmp(env, "0") == 0)
		return;
	struct segment_of libc = { .addr = (uintptr_t)&syscall };
	if (!dl_iterate_phdr(find_segment, &libc))
		return;
	struct kernel_sigaction k;
	if (syscall(SYS_rt_sigaction, SIGSYS, NULL, &k, sizeof k.mask) != 0)
		return;
	static const uint8_t restore_rt[] = {
		0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00,   /* mov $15,%rax */
		0x0f, 0x05,                                 /* syscall */
	};
	uintptr_t r = (uintptr_t)k.restorer;
	if (r < libc.lo || r - libc.lo >= libc.len ||
	    memcmp((const void *)r, restore_rt, sizeof restore_rt) != 0)
		return;
	libc_lo = libc.lo;
	libc_len = libc.len;
	restorer = r;
	if (dispatch_works())
		support = 0;
}

/* The thread that ends the program stops dispatching first: exit-time code
 * that makes raw system calls pfipc cannot make for it (a leak checker's
 * clone of a thread on a stack of its own) runs in atexit handlers
 * registered before this one, so after it. */
static void leave_at_exit(void)
{
	sud_thread_leave();
}

int sud_enable(void)
{
	pthread_once(&probed, probe);
	if (support)
		return support;
	if (!atomic_exchange(&enabled, true))
		atexit(leave_at_exit);
	return pf_current ? sud_thread_join() : 0;
}

int sud_thread_join(void)
{
	if (armed || !atomic_load(&enabled))
		return 0;
	return switch_on();
}

void sud_thread_leave(void)
{
	if (armed)
		switch_off();
}
