/* Checked copies from and to the memory of the process that called the
 * running export (pf_copy_from_caller, pf_copy_to_caller).
 *
 * The caller is pf_caller(), from the thread that faulted, and its memory
 * is that of the OS process running it: the program's, or an isolated
 * process's own. process_vm_readv and process_vm_writev reach either (the
 * calling OS process included), and a bad range is an error (EFAULT), not
 * a fault: a wild pointer from a caller cannot crash the server. */
#include <errno.h>
#include <stdatomic.h>
#include "pfipc.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"

/* The OS process of the caller of the export running on this thread. */
static int caller_pid(pid_t *pid)
{
	struct pf_thread *t = pf_current;
	if (!t || !t->caller_proc)
		return -EINVAL;
	*pid = atomic_load(&t->caller_proc->os_pid);
	return *pid > 0 ? 0 : -ESRCH;
}

/* The caller to copy N bytes to or from, through LOCAL on this side: 0
 * and *PID, 1 when there is nothing to copy, or a negative errno value. */
static int copy_peer(pid_t *pid, const void *local, size_t n)
{
	int rc = caller_pid(pid);
	if (rc)
		return rc;
	if (n == 0)
		return 1;
	return local ? 0 : -EINVAL;
}

int pf_copy_from_caller(void *dst, const void *src, size_t n)
{
	pid_t pid;
	int rc = copy_peer(&pid, dst, n);
	return rc ? (rc > 0 ? 0 : rc) : space_copy_from(pid, dst, src, n);
}

int pf_copy_to_caller(void *dst, const void *src, size_t n)
{
	pid_t pid;
	int rc = copy_peer(&pid, src, n);
	return rc ? (rc > 0 ? 0 : rc) : space_copy_to(pid, dst, src, n);
}
