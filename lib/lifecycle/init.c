/* pf_init: the arena and the entries' signal handler, once. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/msg.h"
#include "base/shared.h"
#include "call/tickets.h"
#include "ident/caller_data.h"
#include "ident/grants.h"
#include "ident/handles.h"
#include "ident/registry.h"
#include "lifecycle/isolate.h"
#include "proc/helper.h"
#include "proc/process.h"
#include "proc/space.h"
#include "proc/thread.h"
#include "sched/turns.h"
#include "entry/decode.h"
#include "entry/entry.h"
#include "pfipc.h"
#include "trace/api.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_result;
static atomic_bool initialized;   /* init_once is over, here or before a fork */

/* Everything an isolated process must find where the program has it is
 * made here, before the helper forks: the shared region and each layer's
 * tables in it. */
static int kernel_state_init(void)
{
	int (*const steps[])(void) = {
		shared_init, msg_pool_init, process_table_init, thread_pool_init,
		registry_init, grants_init, handles_init, caller_data_init, turns_init,
		tickets_init,
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		int rc = steps[i]();
		if (rc)
			return rc;
	}
	return 0;
}

/* A child the program forked goes on with its own kernel: a private copy
 * of the shared state, as it had when that state was private memory, and
 * a helper of its own. (The helper's own forks are not the program's.) */
static void after_fork_in_child(void)
{
	if (helper_is_self())
		return;
	space_forked();
	shared_fork_child();
	isolate_forked();
	helper_forked();
}

/* An isolated process is a fork of the helper, forked while init_once ran:
 * the C library would run init_once again in it at the next pf_init (a
 * once that a fork interrupted starts over in the child). Everything it
 * makes is there already, so it is taken as done. */
static void isolated_process_main(unsigned index)
{
	atomic_store(&initialized, true);
	isolate_main(index);
}

static void init_once(void)
{
	const char *cache = getenv("PFIPC_DECODE_CACHE");
	if (cache && strcmp(cache, "0") == 0)
		decode_cache_enable(false);
	init_result = kernel_state_init();
	if (!init_result)
		init_result = arena_init();
	if (!init_result)
		init_result = entry_install();
	if (!init_result && pthread_atfork(NULL, NULL, after_fork_in_child) != 0)
		init_result = -ENOMEM;
	/* Without a helper only isolation is missing (-ECHILD when asked). */
	if (!init_result)
		helper_start(isolated_process_main);
	if (!init_result)
		trace_from_environment();
	atomic_store(&initialized, true);
}

int pf_init(void)
{
	if (atomic_load_explicit(&initialized, memory_order_acquire))
		return init_result;
	pthread_once(&once, init_once);
	return init_result;
}
