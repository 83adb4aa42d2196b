/* Who calls the wrapped library as whom: the program's main thread and its
 * later threads as the client process, a thread of another pfipc process as
 * that process, a forked child directly. Linked with the edge shim before
 * libpfwrap_edge. edge_each calls back into this program, on whatever thread
 * runs the library, so the callback can ask pfipc who is calling. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../common.h"
#include "edge.h"

/* What the callback saw on its last run. */
struct seen {
	char self[32];     /* the process running the library ("" for none) */
	char caller[32];   /* the process whose call it is serving */
	pthread_t thread;
	int calls;
};

static void name_into(char out[32], pf_process *p)
{
	snprintf(out, 32, "%s", p ? pf_process_name(p) : "");
}

static void record(int i, void *arg)
{
	struct seen *s = arg;
	(void)i;
	name_into(s->self, pf_self());
	name_into(s->caller, pf_caller());
	s->thread = pthread_self();
	s->calls++;
}

static void call_each(struct seen *s)
{
	memset(s, 0, sizeof *s);
	edge_each(1, record, s);
}

static void main_thread_calls_as_the_client_process(void **state)
{
	(void)state;
	struct seen s;
	call_each(&s);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.self, "edge");
	assert_non_null(pf_self());
	assert_string_equal(s.caller, pf_process_name(pf_self()));
	assert_false(pthread_equal(s.thread, pthread_self()));
}

static void *call_from_thread(void *arg)
{
	struct seen *s = arg;
	pf_process *before = pf_self();
	call_each(s);
	/* The shim attached the thread: it now belongs to the client. */
	if (!before && pf_self())
		snprintf(s->self + strlen(s->self), 32 - strlen(s->self), "+attached");
	return NULL;
}

static void later_thread_attaches_to_the_client_process(void **state)
{
	(void)state;
	struct seen s;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, call_from_thread, &s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.self, "edge+attached");
	assert_string_equal(s.caller, pf_process_name(pf_self()));
}

/* A process of the program's own calls the library from its init. */
static int worker_init(void *arg)
{
	call_each(arg);
	return 0;
}

static void thread_of_another_process_calls_as_that_process(void **state)
{
	(void)state;
	struct seen s;
	pf_process *worker;
	assert_int_equal(pf_process_create(&worker, "worker", NULL, worker_init, &s), 0);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.self, "edge");
	assert_string_equal(s.caller, "worker");
	pf_process_stop(worker);
	pf_process_join(worker);
}

static void forked_child_calls_the_library_directly(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct seen s;
		call_each(&s);
		/* No server in the child: the library ran on this thread. */
		int direct = s.calls == 1 && pthread_equal(s.thread, pthread_self()) &&
			     edge_sum8(1, 1, 1, 1, 1, 1, 1, 1) == 36;
		_exit(direct ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(main_thread_calls_as_the_client_process),
		cmocka_unit_test(later_thread_attaches_to_the_client_process),
		cmocka_unit_test(thread_of_another_process_calls_as_that_process),
		cmocka_unit_test(forked_child_calls_the_library_directly),
	};
	return cmocka_run_group_tests_name("pfwrap threads and processes", tests, NULL, NULL);
}
