/* pfwrap_runtime.c - the part of every shim that is not generated: start the
 * library's server process, and give each calling thread its table.
 *
 * Who calls through what:
 *   - A thread that belongs to no pfipc process (the program's own threads)
 *     becomes part of one client process: the first such thread (main, from
 *     the shim's constructor) makes it with pf_process_join_self, later ones
 *     attach to it at their first call and detach when they end.
 *   - A thread of any other pfipc process (a program that uses pfipc itself)
 *     calls as that process: the process gets imports of its own, made on
 *     its thread at its first call, as each process of a real system has
 *     its own import table.
 *   - The server's threads call the library directly: a function of the
 *     library that calls another of its exported functions (compress2 calls
 *     deflate) reaches the stub when the shim precedes the library in the
 *     program's scope, and that call belongs inside the server.
 *   - After fork() the child has none of the other threads, the server's
 *     included, so its calls go to the library directly.
 *
 * Callbacks: a function pointer the program passes in (zlib's zalloc and
 * zfree) is called by the library on the server's thread, directly, without
 * pfipc: that works only because every simulated process shares one address
 * space. In a system with separate address spaces it would be an upcall
 * through an import the client exports. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <pfipc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfwrap_runtime.h"

#define L pfwrap_library

__thread void *const *pfwrap_thread_table;

static pthread_once_t started = PTHREAD_ONCE_INIT;
static pf_process *server;
static atomic_bool forked;
static char start_error[256];

/* One process's imports: slots[i] is the slot of function i. */
struct process_table {
	pf_process *process;
	struct process_table *next;
	void *slots[];
};

static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;
static struct process_table *tables;
static pf_process *client;         /* the process of threads that had none */
static pthread_key_t leave_key;    /* detaches an attached thread as it ends */

/* A shim that cannot start is like a library that cannot be loaded: the
 * program never runs. 127 is what the dynamic loader exits with then. */
static void fail_start(const char *what)
{
	fprintf(stderr, "pfwrap: cannot serve %s: %s\n", L.load_name, what);
	exit(127);
}

/* A thread that cannot call the library cannot go on: the program has no
 * way to see the error of a call it made as a plain function call. */
static void fail_call(const char *what, int err)
{
	fprintf(stderr, "pfwrap: a thread cannot call %s: %s: %s\n",
		L.process_name, what, pf_strerror(err));
	abort();
}

/* Runs on the server's thread before it serves: load the real library,
 * find each function, export it. */
static int serve_init(void *arg)
{
	(void)arg;
	/* RTLD_LOCAL: the library's symbols must not join the global scope,
	 * where they would compete with the shim's stubs. */
	void *lib = dlopen(L.load_name, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(start_error, sizeof start_error, "dlopen: %s", dlerror());
		return -ENOENT;
	}
	Dl_info self, found;
	if (!dladdr((void *)serve_init, &self))
		self.dli_fbase = NULL;
	for (unsigned i = 0; i < L.count; i++) {
		void *fn = dlsym(lib, L.names[i]);
		if (!fn) {
			snprintf(start_error, sizeof start_error,
				 "it has no function %s", L.names[i]);
			return -ENOENT;
		}
		/* Loading the shim under the library's name would make every
		 * call a call to itself. */
		if (dladdr(fn, &found) && found.dli_fbase == self.dli_fbase) {
			snprintf(start_error, sizeof start_error,
				 "that name loads this shim, not the library");
			return -ELOOP;
		}
		pfwrap_real[i] = fn;
	}
	for (unsigned i = 0; i < L.count; i++) {
		char name[160];
		snprintf(name, sizeof name, "%s.%s", L.ns, L.names[i]);
		int err = pf_export(name, pfwrap_real[i], L.stack_bytes[i], 0);
		if (err) {
			snprintf(start_error, sizeof start_error,
				 "pf_export(%s): %s", name, pf_strerror(err));
			return err;
		}
	}
	pfwrap_thread_table = L.direct;
	return 0;
}

/* The program cannot be told that the library's process crashed (a call
 * that fails returns zeros, which a library's caller reads as a result), so
 * the program ends, as it would have if the library had crashed in it. */
static void server_died(pf_process *p, int why, void *arg)
{
	(void)arg;
	if (why != PF_DIED_CRASHED)
		return;
	fprintf(stderr, "pfwrap: the %s process crashed; the program cannot see "
		"that its calls failed, so it ends here\n", pf_process_name(p));
	abort();
}

static void leave_process(void *unused)
{
	(void)unused;
	pf_thread_detach();
}

static void after_fork_in_child(void)
{
	atomic_store(&forked, true);
	pfwrap_thread_table = L.direct;
}

static void start(void)
{
	if (pthread_key_create(&leave_key, leave_process) != 0)
		fail_start("no thread-specific key left");
	pthread_atfork(NULL, NULL, after_fork_in_child);
	int err = pf_process_create(&server, L.process_name, NULL, serve_init, NULL);
	if (err) {
		char what[400];
		snprintf(what, sizeof what, "starting process %s: %s%s%s",
			 L.process_name, pf_strerror(err), start_error[0] ? ": " : "",
			 start_error);
		fail_start(what);
	}
	pf_process_watch(server, server_died, NULL);
}

/* pfipc process names are 1 to 31 of [A-Za-z0-9_-]: the program's name,
 * cut and cleaned. */
static void client_name(char out[32])
{
	const char *prog = program_invocation_short_name;
	size_t n = 0;
	for (; prog && prog[n] && n < 31; n++) {
		char c = prog[n];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '-';
		out[n] = ok ? c : '_';
	}
	if (n == 0)
		n = (size_t)snprintf(out, 32, "client");
	out[n] = '\0';
}

/* Imports of every function, made in P by one of P's threads (the calling
 * one). Called with tables_lock held. */
static struct process_table *make_imports(pf_process *p)
{
	struct process_table *t = malloc(sizeof *t + L.count * sizeof t->slots[0]);
	if (!t)
		fail_call("no memory for its import table", -ENOMEM);
	for (unsigned i = 0; i < L.count; i++) {
		char name[160];
		pf_import *imp;
		snprintf(name, sizeof name, "%s.%s", L.ns, L.names[i]);
		int err = pf_import_create(&imp, name, 0);
		if (err)
			fail_call("pf_import_create", err);
		t->slots[i] = (void *)pf_import_slot(imp);
	}
	t->process = p;
	t->next = tables;
	tables = t;
	return t;
}

/* The calling thread's process, joining or attaching it to the client
 * process when it has none. Called with tables_lock held. */
static pf_process *process_of_thread(void)
{
	pf_process *self = pf_self();
	if (self)
		return self;
	if (!client) {
		char name[32];
		client_name(name);
		int err = pf_process_join_self(&client, name);
		if (err)
			fail_call("pf_process_join_self", err);
		return client;
	}
	int err = pf_thread_attach(client);
	if (err)
		fail_call("pf_thread_attach", err);
	pthread_setspecific(leave_key, client);
	return client;
}

void *const *pfwrap_table_for_thread(void)
{
	pthread_once(&started, start);
	if (atomic_load(&forked) || pf_self() == server)
		return pfwrap_thread_table = L.direct;
	pthread_mutex_lock(&tables_lock);
	pf_process *p = process_of_thread();
	struct process_table *t = tables;
	while (t && t->process != p)
		t = t->next;
	if (!t)
		t = make_imports(p);
	pthread_mutex_unlock(&tables_lock);
	return pfwrap_thread_table = (void *const *)t->slots;
}

/* The thread that loads the shim (main, for a program linked with it) is a
 * client from the start, and the library's process exists before main. */
__attribute__((constructor)) static void pfwrap_start(void)
{
	pfwrap_table_for_thread();
}
