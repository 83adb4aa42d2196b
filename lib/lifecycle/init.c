/* pf_init: the arena and the entries' signal handler, once. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "entry/decode.h"
#include "entry/entry.h"
#include "pfipc.h"
#include "trace/api.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_result;

static void init_once(void)
{
	const char *cache = getenv("PFIPC_DECODE_CACHE");
	if (cache && strcmp(cache, "0") == 0)
		decode_cache_enable(false);
	init_result = arena_init();
	if (!init_result)
		init_result = entry_install();
	if (!init_result)
		trace_from_environment();
}

int pf_init(void)
{
	pthread_once(&once, init_once);
	return init_result;
}
