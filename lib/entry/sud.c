#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "arch.h"
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

bool sud_dispatches(uintptr_t addr)
{
	return addr < libc_lo || addr - libc_lo >= libc_len;
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
	((ucontext_t *)ucv)->uc_mcontext.gregs[REG_NR] = PROBE_ANSWER;
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
			r = arch_dispatch_probe(PROBE_NR, libc_lo, libc_len);
		}
		syscall(SYS_exit, r == PROBE_ANSWER ? 0 : 1);
	}
	int status;
	while (waitpid((pid_t)pid, &status, __WALL) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static const uint8_t restore_rt[] = ARCH_RESTORER_BYTES;

/* Where in SEG the restorer's instructions are, or 0. */
static uintptr_t restorer_in(const struct segment_of *seg)
{
	for (uintptr_t a = seg->lo; a + sizeof restore_rt <= seg->lo + seg->len; a++)
		if (memcmp((const void *)a, restore_rt, sizeof restore_rt) == 0)
			return a;
	return 0;
}

/* Reserve (PROT_NONE) every hole in [LO, HI), so that no later mapping
 * (a stub page, a probe's page, a thread's stack) lands inside the allowed
 * range, where its system calls would not be dispatched. The holes are
 * read from /proc/self/maps. */
static bool fill_holes(uintptr_t lo, uintptr_t hi)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[4096];
	size_t have = 0;
	uintptr_t end_of_last = lo;
	bool ok = true;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			char *dash;
			uintptr_t start = (uintptr_t)strtoull(line, &dash, 16);
			uintptr_t end = (uintptr_t)strtoull(dash + 1, NULL, 16);
			if (start > end_of_last && end_of_last >= lo && start <= hi &&
			    mmap((void *)end_of_last, start - end_of_last, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				 -1, 0) == MAP_FAILED)
				ok = false;
			if (end > end_of_last && start < hi)
				end_of_last = end > lo ? end : lo;
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
	}
	close(fd);
	return ok;
}

/* The C library's code, and where its signal handlers return to: on
 * x86-64 its own restorer (the SA_RESTORER of pfipc's SIGSYS action); on
 * i386 the C library gives none and the kernel returns through the
 * vDSO's, and the C library makes its system calls through the vDSO too,
 * so the allowed range spans both (and what the dynamic linker put between
 * them: shared libraries, never the program's own code or pfipc's stubs,
 * which are mapped below). */
static bool find_allowed(struct segment_of *libc, uintptr_t *r)
{
	libc->addr = (uintptr_t)&syscall;
	if (!dl_iterate_phdr(find_segment, libc))
		return false;
	if (ARCH_SUD_VDSO) {
		struct segment_of vdso = { .addr = (uintptr_t)getauxval(AT_SYSINFO) };
		if (!vdso.addr || !dl_iterate_phdr(find_segment, &vdso))
			return false;
		uintptr_t lo = vdso.lo < libc->lo ? vdso.lo : libc->lo;
		uintptr_t hi = vdso.lo + vdso.len > libc->lo + libc->len ?
			       vdso.lo + vdso.len : libc->lo + libc->len;
		libc->lo = lo;
		libc->len = hi - lo;
		*r = restorer_in(&vdso);
		return *r != 0 && fill_holes(lo, hi);
	}
	struct kernel_sigaction k;
	if (syscall(SYS_rt_sigaction, SIGSYS, NULL, &k, sizeof k.mask) != 0)
		return false;
	*r = (uintptr_t)k.restorer;
	return *r >= libc->lo && *r - libc->lo < libc->len &&
	       memcmp((const void *)*r, restore_rt, sizeof restore_rt) == 0;
}

/* Everything SUD needs, checked once: the C library's code (where the
 * system calls that must never be dispatched are), the restorer with the
 * instructions an rt_sigreturn reroute relies on, and a kernel that
 * dispatches. */
static void probe(void)
{
	const char *env = getenv("PFIPC_SYSCALL_ENTRY");
	if (env && strcmp(env, "0") == 0)
		return;
	struct segment_of libc;
	uintptr_t r;
	if (!find_allowed(&libc, &r))
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
