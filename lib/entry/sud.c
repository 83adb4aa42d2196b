#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

/* Everything SUD needs, checked once: the C library's code (where the
 * system calls that must never be dispatched are), its restorer inside it
 * with the instructions an rt_sigreturn reroute relies on, and a kernel
 * that accepts the prctl. */
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
	bool was = armed;
	if (switch_on() != 0)
		return;
	if (!was)
		switch_off();
	support = 0;
}

int sud_enable(void)
{
	pthread_once(&probed, probe);
	if (support)
		return support;
	atomic_store(&enabled, true);
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
