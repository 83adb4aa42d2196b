/* timeline: a small system that does a bit of everything a trace shows —
 * nested calls and a callback, an asynchronous call, a one-way call, a
 * timeout, a deadlock refused, a crash and a restart.
 *
 *   cc -O2 -g timeline.c $(pkg-config --cflags --libs pfipc) -o timeline
 *   PFIPC_TRACE=timeline.json ./timeline      # open it in ui.perfetto.dev
 *   python3 tools/pftrace_png.py timeline.json -o timeline.png
 *
 * Processes: the client (main), "fs" (reads files from "disk", logs to
 * "log", reports progress back to its caller) and "parser" (crashes on bad
 * input and is restarted).
 */
#include <pfipc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static void nap_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

/* ---- disk: blocks, one at a time ---------------------------------------- */

static long disk_read(long block)
{
	nap_us(300);
	return block * 512;
}

/* Set by the client once its call to disk.slow has timed out. (The
 * processes share one address space; a real disk would not know.) */
static atomic_int slow_caller_gave_up;

static long disk_slow(void)
{
	/* Longer than its caller waits, however loaded the machine is. */
	for (int i = 0; i < 1000 && !atomic_load(&slow_caller_gave_up); i++)
		nap_us(200);
	return 0;
}

static int disk_init(void *arg)
{
	(void)arg;
	int rc = pf_export("disk.read", (void *)disk_read, PF_STACK_AUTO, 0);
	return rc ? rc : pf_export("disk.slow", (void *)disk_slow, PF_STACK_AUTO, 0);
}

/* ---- log: one-way messages ---------------------------------------------- */

static void log_write(long code)
{
	(void)code;
	nap_us(100);
}

static int log_init(void *arg)
{
	(void)arg;
	return pf_export("log.write", (void *)log_write, PF_STACK_AUTO, 0);
}

/* ---- fs: reads from disk, logs, tells its caller how far it got --------- */

static pf_import *fs_disk, *fs_log, *fs_progress, *fs_back;

static long fs_read(long file)
{
	long (*const *read)(long) = PF_SLOT(long(long), fs_disk);
	void (*progress)(long) = PF_GATE(void(long), fs_progress);
	long total = 0;
	for (long b = 0; b < 2; b++) {
		total += (*read)(file * 8 + b);   /* fs -> disk, nested */
		progress(b);                       /* fs -> client: a callback */
	}
	PF_GATE(void(long), fs_log)(file);         /* one-way: returns at once */
	return total;
}

/* Not reentrant: a call that comes back into it through its own caller
 * would wait forever, so pfipc refuses it with EDEADLK. */
static long fs_reenter(long depth)
{
	return depth ? PF_GATE(long(long), fs_back)(depth - 1) : 0;
}

static int fs_init(void *arg)
{
	(void)arg;
	int rc;
	if ((rc = pf_export("fs.read", (void *)fs_read, PF_STACK_AUTO, 0)) ||
	    (rc = pf_export("fs.reenter", (void *)fs_reenter, PF_STACK_AUTO, 0)) ||
	    (rc = pf_import_create(&fs_disk, "disk.read", 0)) ||
	    (rc = pf_import_create(&fs_log, "log.write", PF_IMPORT_ONEWAY)) ||
	    (rc = pf_import_create(&fs_progress, "client.progress", 0)))
		return rc;
	return pf_import_create(&fs_back, "client.back", 0);
}

/* ---- parser: crashes on negative input ---------------------------------- */

static int *volatile nowhere;

static long parse(long x)
{
	return x < 0 ? *nowhere : x * 10;
}

static int parser_init(void *arg)
{
	(void)arg;
	return pf_export("parser.parse", (void *)parse, PF_STACK_AUTO, 0);
}

/* ---- the client --------------------------------------------------------- */

static pf_import *client_reenter;

/* Served by main while it waits for fs.read. */
static void client_progress(long block)
{
	printf("[client] fs read block %ld\n", block);
}

static long client_back(long depth)
{
	long r = PF_GATE(long(long), client_reenter)(depth);
	printf("[client] fs.reenter from inside fs.reenter: %s\n", pf_error_message());
	return r;
}

int main(void)
{
	pf_process *client, *disk, *logp, *fs, *parser;
	pf_import *read_imp, *async_imp, *slow_imp, *parse_imp;
	pf_process_options restart = { .restart = PF_RESTART_ALWAYS };
	int rc;
	if ((rc = pf_process_join_self(&client, "client")) ||
	    (rc = pf_export("client.progress", (void *)client_progress, PF_STACK_AUTO, 0)) ||
	    (rc = pf_export("client.back", (void *)client_back, PF_STACK_AUTO, 0)) ||
	    (rc = pf_process_create(&disk, "disk", NULL, disk_init, NULL)) ||
	    (rc = pf_process_create(&logp, "log", NULL, log_init, NULL)) ||
	    (rc = pf_process_create(&fs, "fs", NULL, fs_init, NULL)) ||
	    (rc = pf_process_create(&parser, "parser", &restart, parser_init, NULL)) ||
	    (rc = pf_import_create(&read_imp, "fs.read", 0)) ||
	    (rc = pf_import_create(&client_reenter, "fs.reenter", 0)) ||
	    (rc = pf_import_create(&async_imp, "disk.read", PF_IMPORT_ASYNC)) ||
	    (rc = pf_import_create(&slow_imp, "disk.slow", 0)) ||
	    (rc = pf_import_create(&parse_imp, "parser.parse", 0)) ||
	    (rc = pf_import_set_timeout(slow_imp, 1000000))) {
		fprintf(stderr, "timeline: set-up failed: %s\n", pf_strerror(rc));
		return 1;
	}
	long (*read)(long) = PF_GATE(long(long), read_imp);
	long (*const *parse_call)(long) = PF_SLOT(long(long), parse_imp);

	/* Nested calls, a callback and a one-way call. */
	printf("[client] fs.read(1) = %ld\n", read(1));

	/* An asynchronous disk read, and a file read that queues behind it. */
	uint64_t ticket = PF_GATE(uint64_t(long), async_imp)(7);
	printf("[client] fs.read(2) = %ld\n", read(2));
	pf_result res;
	rc = pf_wait(ticket, -1, &res);
	printf("[client] async disk.read(7) = %llu (%s)\n", (unsigned long long)res.rax,
	       pf_strerror(rc));

	/* A timeout: the import waits 1 ms, disk.slow runs until it gave up. */
	PF_GATE(long(void), slow_imp)();
	atomic_store(&slow_caller_gave_up, 1);
	printf("[client] disk.slow: %s\n", pf_error_message());

	/* A deadlock refused (see fs_reenter). */
	PF_GATE(long(long), client_reenter)(1);

	/* A crash, a restart, and the parser serving again. */
	(*parse_call)(-1);
	printf("[client] parse(-1): %s\n", pf_error_message());
	for (int tries = 0; tries < 1000; tries++) {
		(*parse_call)(0);
		if (pf_errno() == 0)
			break;
		nap_us(200);
	}
	printf("[client] parse(5) = %ld after %u crash(es)\n", (*parse_call)(5),
	       pf_process_crashes(parser));

	pf_process *all[] = { parser, fs, logp, disk };
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
		pf_process_stop(all[i]);
		pf_process_join(all[i]);
	}
	pf_thread_detach();
	return 0;
}
