#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>
#include "proc/process.h"
#include "proc/space.h"

static pid_t self_pid;
static struct pf_process *root;   /* the isolated process this OS process runs */
bool space_isolated;

pid_t space_self_pid(void)
{
	if (!self_pid)
		self_pid = getpid();
	return self_pid;
}

void space_forked(void)
{
	self_pid = getpid();
}

void space_become_isolated(struct pf_process *p)
{
	space_forked();
	space_isolated = true;
	root = p;
	atomic_store(&p->os_pid, self_pid);
}

void space_die(const char *what)
{
	if (root && !root->death_note[0]) {
		size_t i = 0;
		for (; what[i] && i + 1 < sizeof root->death_note; i++)
			root->death_note[i] = what[i];
		root->death_note[i] = '\0';
	}
	for (;;)
		kill(space_self_pid(), SIGKILL);
}

bool space_is_local(const struct pf_process *p)
{
	return atomic_load_explicit(&p->os_pid, memory_order_relaxed) == space_self_pid();
}

bool space_same(const struct pf_process *a, const struct pf_process *b)
{
	return atomic_load_explicit(&a->os_pid, memory_order_relaxed) ==
	       atomic_load_explicit(&b->os_pid, memory_order_relaxed);
}

typedef ssize_t (*vm_copy_fn)(pid_t, const struct iovec *, unsigned long,
			      const struct iovec *, unsigned long, unsigned long);

/* Copy in pieces until done: a call copies what it can and stops at the
 * first bad page, so a short count followed by an error is a bad range. */
static int vm_copy(vm_copy_fn fn, pid_t pid, char *local, char *remote, size_t n)
{
	while (n) {
		struct iovec l = { local, n }, r = { remote, n };
		ssize_t got = fn(pid, &l, 1, &r, 1, 0);
		if (got < 0)
			return errno == EFAULT || errno == ENOMEM ? -EFAULT : -errno;
		if (got == 0)
			return -EFAULT;
		local += got;
		remote += got;
		n -= (size_t)got;
	}
	return 0;
}

int space_copy_from(pid_t pid, void *dst, const void *src, size_t n)
{
	return vm_copy(process_vm_readv, pid, dst, (char *)(uintptr_t)src, n);
}

int space_copy_to(pid_t pid, void *dst, const void *src, size_t n)
{
	return vm_copy(process_vm_writev, pid, (char *)(uintptr_t)src, dst, n);
}
