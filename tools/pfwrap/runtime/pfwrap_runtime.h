/* pfwrap_runtime.h - what a shim's generated stubs and tables share with its
 * runtime (pfwrap_runtime.c, pfwrap_first_call.S, pfwrap_stats.c).
 *
 * Nothing here leaves the shim: the only symbols a shim exports are the
 * wrapped library's function names, so that it never interposes anything
 * else on the program. */
#ifndef PFWRAP_RUNTIME_H
#define PFWRAP_RUNTIME_H

#pragma GCC visibility push(hidden)

/* The wrapped library, as pfwrap's generated table describes it. Index I
 * names one function in every array. */
struct pfwrap_library {
	const char *load_name;      /* what the server dlopens: a soname or a path */
	const char *process_name;   /* the server process, named after the library */
	const char *ns;             /* the namespace its exports are named in */
	unsigned count;             /* functions served */
	const char *const *names;   /* their symbol names */
	const unsigned short *stack_bytes;
	void *const *direct;        /* the server's own table: &pfwrap_real[i] */
};

extern const struct pfwrap_library pfwrap_library;

/* The library's own functions, found by the server (dlsym) before it serves
 * anything; they are what it exports. */
extern void *pfwrap_real[];

/* The calling thread's table: per function, the address the stub jumps
 * through. For a thread of a client process, that is the slot of the
 * process's import (so the jump faults into pfipc); for the server's own
 * threads, the cell in pfwrap_real (a call the library makes to one of its
 * own exported functions stays inside the server). NULL until the thread's
 * first call. Initial-exec TLS: the stubs read it with two instructions. */
extern __thread void *const *pfwrap_thread_table
	__attribute__((tls_model("initial-exec")));

/* Called by pfwrap_first_call (assembly) when pfwrap_thread_table is NULL:
 * makes the thread able to call and returns its table. Never fails: a thread
 * that cannot call the library ends the program with one line on stderr. */
void *const *pfwrap_table_for_thread(void);

/* Calls served so far by function I. */
unsigned long pfwrap_served_calls(unsigned i);

#pragma GCC visibility pop

#endif
