/* Ordinary system calls keep working on threads that dispatch system calls
 * (syscall entry on): the C library's own, pfipc's futexes, new threads, a
 * forked child, and the raw system calls of code outside the C library,
 * which pfipc's handler makes for it, the ones that cannot simply be made
 * from a signal handler included. */
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../common.h"

extern char **environ;

static long add(long a, long b) { return a + b; }
static const struct one_export exports[] = { { "sc.add", (void *)add, 0, 0 }, { 0 } };

static pf_process *client, *server;
static long (*stub)(long, long);

/* The same instructions a program outside the C library would run. */
static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define raw(nr, a, b, c) raw6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static long raw_int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static int setup(void **state)
{
	(void)state;
	server = start_server("sc", exports);
	stub = PF_ENTRY(long(long, long), import_ok("sc.add"), PF_ENTRY_SYSCALL);
	assert_non_null(stub);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server(server);
	return 0;
}

static void libc_file_io_works(void **state)
{
	(void)state;
	char path[] = "/tmp/pfipc-sc-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	char buf[8] = { 0 };
	assert_int_equal(read(fd, buf, sizeof buf), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(close(fd), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(stub(40, 2), 42);
}

/* The server has long gone to sleep on its futex: the call must wake it. */
static void calls_to_a_sleeping_server_wake_it(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		struct timespec nap = { 0, 300 * 1000000 };
		nanosleep(&nap, NULL);
		assert_int_equal(stub(i, 1), i + 1);
		assert_int_equal(pf_errno(), 0);
	}
}

static _Atomic uint32_t word;

static void *futex_sleeper(void *arg)
{
	(void)arg;
	while (atomic_load(&word) == 0)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void futex_sleep_and_wake_work(void **state)
{
	(void)state;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, futex_sleeper, NULL), 0);
	struct timespec nap = { 0, 50 * 1000000 };
	nanosleep(&nap, NULL);
	atomic_store(&word, 1);
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void *attached_caller(void *arg)
{
	(void)arg;
	if (pf_thread_attach(client) != 0)
		return (void *)1;
	long sum = 0;
	for (int i = 0; i < 100; i++)
		sum += stub(i, 1);
	long pid = raw(SYS_getpid, 0, 0, 0);   /* forwarded: it dispatches too */
	pf_thread_detach();
	return (void *)(uintptr_t)(sum == 5050 && pid == getpid() ? 0 : 2);
}

static void threads_made_and_attached_on_a_dispatching_thread_work(void **state)
{
	(void)state;
	pthread_t t;
	void *ret;
	assert_int_equal(pthread_create(&t, NULL, attached_caller, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
}

static void a_forked_child_makes_ordinary_system_calls(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char msg[32];
		int n = snprintf(msg, sizeof msg, "child %d", (int)raw(SYS_getpid, 0, 0, 0));
		_exit(write(fds[1], msg, (size_t)n) == n ? 7 : 1);
	}
	close(fds[1]);
	char buf[32] = { 0 };
	assert_true(read(fds[0], buf, sizeof buf - 1) > 0);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	char want[32];
	snprintf(want, sizeof want, "child %d", (int)pid);
	assert_string_equal(buf, want);
}

static void raw_system_calls_from_outside_libc_are_made(void **state)
{
	(void)state;
	assert_int_equal(raw(SYS_getpid, 0, 0, 0), getpid());
	assert_int_equal(raw(SYS_gettid, 0, 0, 0), gettid());
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(raw(SYS_write, fds[1], "abc", 3), 3);
	char buf[4] = { 0 };
	assert_int_equal(raw(SYS_read, fds[0], buf, 3), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(raw(SYS_close, fds[0], 0, 0), 0);
	assert_int_equal(raw(SYS_close, 12345, 0, 0), -EBADF);
	assert_int_equal(raw(100000, 0, 0, 0), -ENOSYS);   /* nobody's number */
	assert_int_equal(raw_int80(20, 0, 0, 0), getpid()); /* i386 getpid */
	assert_int_equal(raw_int80(6, fds[1], 0, 0), 0);    /* i386 close */
}

static bool blocked(int sig)
{
	sigset_t now;
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, sig);
}

static void raw_rt_sigprocmask_changes_the_callers_mask(void **state)
{
	(void)state;
	uint64_t set = 1ull << (SIGUSR2 - 1), old = ~0ull;
	assert_false(blocked(SIGUSR2));
	assert_int_equal(raw6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, (long)&old, 8, 0, 0), 0);
	assert_true(blocked(SIGUSR2));
	assert_false(old & set);
	assert_int_equal(raw6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, (long)&old, 8, 0, 0), 0);
	assert_false(blocked(SIGUSR2));
	assert_true(old & set);
	assert_int_equal(raw6(SYS_rt_sigprocmask, 99, (long)&set, 0, 8, 0, 0), -EINVAL);
	assert_int_equal(raw6(SYS_rt_sigprocmask, SIG_BLOCK, 8, 0, 8, 0, 0), -EFAULT);
	assert_int_equal(raw6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 4, 0, 0), -EINVAL);
	assert_false(blocked(SIGUSR2));
}

/* Code that makes raw system calls blocks every signal around some (a
 * sanitizer's runtime does): SIGSYS stays deliverable, or the next
 * dispatched call would kill the program. */
static void blocking_every_signal_by_a_raw_call_keeps_sigsys(void **state)
{
	(void)state;
	uint64_t all = ~0ull, old;
	assert_int_equal(raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0), 0);
	assert_true(blocked(SIGUSR2));
	assert_false(blocked(SIGSYS));
	assert_int_equal(raw(SYS_getpid, 0, 0, 0), getpid());
	assert_int_equal(stub(2, 2), 4);
	assert_int_equal(raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0), 0);
	assert_false(blocked(SIGUSR2));
}

/* A handler installed with the raw system call and a restorer of the
 * program's own, outside the C library: its rt_sigreturn is dispatched. */
void own_restorer(void);
__asm__(".text\n"
	"own_restorer:\n"
	"\tmov $15, %eax\n"
	"\tsyscall\n"
	"\thlt\n");

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { handled = sig; }

struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};
#define SA_RESTORER_FLAG 0x04000000

static void rt_sigreturn_through_a_restorer_outside_libc_works(void **state)
{
	(void)state;
	struct kernel_sigaction k = { on_usr1, SA_RESTORER_FLAG, own_restorer, 0 }, old;
	assert_int_equal(raw6(SYS_rt_sigaction, SIGUSR1, (long)&k, (long)&old, 8, 0, 0), 0);
	for (int i = 0; i < 3; i++) {
		handled = 0;
		raw(SYS_tgkill, getpid(), gettid(), SIGUSR1);
		assert_int_equal(handled, SIGUSR1);
	}
	assert_int_equal(raw6(SYS_rt_sigaction, SIGUSR1, (long)&old, 0, 8, 0, 0), 0);
	assert_int_equal(stub(1, 2), 3);
}

static void raw_vfork_runs_as_fork(void **state)
{
	(void)state;
	long pid = raw(SYS_vfork, 0, 0, 0);
	if (pid == 0)
		raw(SYS_exit, 5, 0, 0);   /* the child: raw, as a vfork child should */
	assert_true(pid > 0);
	int status;
	assert_int_equal(waitpid((pid_t)pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 5);
}

static void raw_clone_of_a_thread_fails_with_enosys(void **state)
{
	(void)state;
	static char stack[16384];
	long r = raw6(SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD,
		      (long)(stack + sizeof stack), 0, 0, 0, 0);
	assert_int_equal(r, -ENOSYS);
	assert_int_equal(raw(SYS_clone3, 0, 0, 0), -ENOSYS);
	/* A fork-like clone is made. */
	long pid = raw6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0)
		raw(SYS_exit, 6, 0, 0);
	int status;
	assert_int_equal(waitpid((pid_t)pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 6);
}

/* The new program starts with the caller's signal mask, not the handler's
 * (which blocks SIGSYS): it prints its own. */
static void raw_execve_keeps_the_callers_signal_mask(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	char *argv[] = { "/proc/self/exe", "exec-child", NULL };
	pid_t pid;
	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	char out[4096] = { 0 };
	size_t n = 0;
	ssize_t r;
	while ((r = read(fds[0], out + n, sizeof out - 1 - n)) > 0)
		n += (size_t)r;
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "SigBlk:\t0000000000000000"));
}

/* exec-child: dispatch system calls, then exec a shell by the raw call. */
static int exec_child(void)
{
	pf_process *p;
	if (pf_process_join_self(&p, "execer") != 0 || pf_entry_enable(PF_ENTRY_SYSCALL) != 0)
		return 3;
	char *argv[] = { "/bin/sh", "-c", "grep SigBlk /proc/self/status", NULL };
	raw(SYS_execve, "/bin/sh", argv, environ);
	return 4;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return exec_child();
	if (pf_process_join_self(&client, "client") != 0)
		return 1;
	if (pf_entry_enable(PF_ENTRY_SYSCALL) == -EOPNOTSUPP)
		return 77;   /* no Syscall User Dispatch here: a skip */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(libc_file_io_works),
		cmocka_unit_test(calls_to_a_sleeping_server_wake_it),
		cmocka_unit_test(futex_sleep_and_wake_work),
		cmocka_unit_test(threads_made_and_attached_on_a_dispatching_thread_work),
		cmocka_unit_test(a_forked_child_makes_ordinary_system_calls),
		cmocka_unit_test(raw_system_calls_from_outside_libc_are_made),
		cmocka_unit_test(raw_rt_sigprocmask_changes_the_callers_mask),
		cmocka_unit_test(blocking_every_signal_by_a_raw_call_keeps_sigsys),
		cmocka_unit_test(rt_sigreturn_through_a_restorer_outside_libc_works),
		cmocka_unit_test(raw_vfork_runs_as_fork),
		cmocka_unit_test(raw_clone_of_a_thread_fails_with_enosys),
		cmocka_unit_test(raw_execve_keeps_the_callers_signal_mask),
	};
	int failed = cmocka_run_group_tests_name("system calls with syscall entry on", tests,
						 setup, teardown);
	pf_thread_detach();
	return failed;
}
