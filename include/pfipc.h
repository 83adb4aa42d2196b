/*
 * pfipc.h — processes that call each other through page faults.
 *
 * This header is the whole public contract of libpfipc. Everything else is
 * hidden (built with -fvisibility=hidden and a linker version script).
 *
 * Error convention (one, used everywhere):
 *   - Every function that can fail returns 0 (or a non-negative count) on
 *     success and a negative errno value on failure. None of them sets errno.
 *   - A call made through an import (a plain C call that faults) cannot return
 *     an error code of its own: when it fails, the caller sees rax, rdx, xmm0
 *     and xmm1 all zero, and pf_errno() returns the negative errno value.
 *     Every call through an import sets pf_errno(): 0 when it succeeded.
 *
 * Error values used by pfipc (see each function for which it returns):
 *   -EINVAL     a bad argument (NULL pointer, malformed name, bad flags)
 *   -ENOENT     no process exports that name (and the import is not lazy)
 *   -EEXIST     the name, or its namespace, is already exported by another
 *               process
 *   -ENOSPC     a fixed table is full (processes, imports, names, messages)
 *   -ENOMEM     memory could not be allocated
 *   -ESRCH      the process serving the call has stopped, or is stopping
 *   -EPERM      the calling process may not use that import or object
 *   -EBADF      a handle that is not open (closed, stale, or never made)
 *   -EMSGSIZE   a buffer argument is longer than its export declared
 *   -EBUSY      the thread is already part of a process
 *   -EDEADLK    waiting for the call would never end (a cycle of waits)
 *   -ETIMEDOUT  the call, or the lazy bind, passed its deadline
 *   -EOWNERDEAD the process serving the call crashed while it was queued or
 *               running (for an isolated process: its OS process ended,
 *               however it ended)
 *   -EFAULT     memory a caller named cannot be copied (a checked copy, or
 *               a buffer parameter of a call that crosses OS processes)
 *   -ECHILD     no helper process to start an isolated process with
 *   -EOPNOTSUPP the machine lacks what an entry kind needs, a window's
 *               owner has no function for that kind of access, or the
 *               calling isolated process cannot do what was asked
 *
 * Thread safety: every function may be called from any thread. A thread that
 * makes calls through imports must belong to a process (pf_process_create's
 * threads do; other threads call pf_process_join_self or pf_thread_attach).
 *
 * Building a program: cc prog.c $(pkg-config --cflags --libs pfipc), or
 * dependency('pfipc') in meson. The macros PFIPC_VERSION_MAJOR,
 * PFIPC_VERSION_MINOR, PFIPC_VERSION_PATCH and PFIPC_VERSION_STRING (from
 * pfipc_version.h, which this header includes) give the version of the
 * headers; pf_version gives the library's.
 */

/* Every function below has a comment block in one format, which
 * tools/mkman.py turns into the function's man page at build time:
 *   a first line "name - summary.", then the sections SYNOPSIS (the
 *   declaration, word for word), DESCRIPTION, RETURN VALUE, ERRORS, and
 *   optionally NOTES and SEE ALSO, each a heading at the start of a line
 *   with its text after it or on the lines below, indented. In the text,
 *   a parameter is written in capitals (NAME), and a list item starts with
 *   "- " or with an error value ("-EINVAL ..."). */
#ifndef PFIPC_H
#define PFIPC_H

#include <errno.h>   /* the error values below */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>   /* FILE, for pf_call_table_print */

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; what this header declares is
 * what it exports. */
#pragma GCC visibility push(default)

#include "pfipc_version.h"

/* A simulated process: a name, one or more threads, a FIFO call queue, an
 * export table and an import table. Opaque; owned by the library. */
typedef struct pf_process pf_process;

/* One import of one process: a slot in that process's import table and a
 * gate address. Opaque; owned by the process that made it. */
typedef struct pf_import pf_import;

/* ------------------------------------------------------------------------ */
/* Library                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * pf_init - reserve the arena and install the fault handler.
 *
 * SYNOPSIS   int pf_init(void);
 * DESCRIPTION
 *   Reserves pfipc's PROT_NONE arena (gates and import tables) and installs
 *   one SIGSEGV handler (SA_SIGINFO | SA_ONSTACK). Whatever SIGSEGV handler
 *   the program had installed before is remembered: faults outside the arena
 *   are passed to it, or get the default action if there was none.
 *   Called implicitly by every function that needs it; calling it again is
 *   harmless. Install your own SIGSEGV handler *before* pfipc's if you want
 *   it to see faults outside the arena.
 *   It also maps the kernel state every OS process of the program shares
 *   (a memfd, MAP_SHARED), and forks one helper process, which later forks
 *   the isolated processes (PF_ISOLATE_SPACE): they start with the
 *   program's memory and file descriptors as they are at this moment. The
 *   helper ends when the program does. A child the program forks gets a
 *   private copy of the kernel state and a helper of its own.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -ENOMEM  the arena or the shared state could not be reserved.
 * NOTES  Environment variables read here: PFIPC_QUIET_CRASHES=1 leaves out
 *   the line on stderr for each crash contained in a simulated process
 *   (for test suites that crash servers on purpose; refusals that end the
 *   program still print); PFIPC_DECODE_CACHE=0 turns the decode cache off.
 *   A helper that cannot be forked leaves only isolation unavailable
 *   (pf_process_create of an isolated process fails with -ECHILD).
 */
int pf_init(void);

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */
/* ------------------------------------------------------------------------ */

/* Options for pf_process_create. Zero-initialise, set SIZE to
 * sizeof(pf_process_options), then set what you need; every zero field
 * means "the default". The struct may grow in later versions: SIZE tells
 * the library which fields the program knows. */
typedef struct pf_process_options {
	/* sizeof(pf_process_options) as the program was compiled, or 0 for
	 * the first layout (PF_PROCESS_OPTIONS_SIZE_0 bytes). A multiple of 8,
	 * at least PF_PROCESS_OPTIONS_SIZE_MIN. The library reads no more than
	 * SIZE bytes; fields beyond it take their defaults; bytes past the
	 * library's own struct must be zero. */
	size_t size;
	/* Threads serving the process's queue. 0 means 1. Only exports flagged
	 * PF_EXPORT_REENTRANT run on more than one of them at once. */
	unsigned threads;
	/* Restart policy after a crash: PF_RESTART_NEVER (default): the
	 * process is dead; PF_RESTART_ALWAYS: its init runs again on the same
	 * thread, its exports are bound again, and importers' later calls
	 * reach the new incarnation. Calls made meanwhile fail with
	 * -EOWNERDEAD. */
	unsigned restart;
	/* Deadline for every synchronous call this process makes, in
	 * nanoseconds. 0 means none. An import's own deadline wins. (Aligned
	 * to 8 so that the layout is the same in the i386 build.) */
	int64_t call_timeout_ns __attribute__((aligned(8)));
	/* How long a call through a lazy import waits for its export to appear,
	 * in nanoseconds. 0 means 1 second. */
	int64_t bind_timeout_ns;
	/* PF_ISOLATE_NONE (default): the process shares the program's
	 * address space. PF_ISOLATE_SPACE: it runs in an operating-system
	 * process of its own (see pf_process_create), so that nothing it does
	 * to memory reaches its callers, and its death, however it dies, is a
	 * crash that its callers see as -EOWNERDEAD. */
	unsigned isolation;
	/* Must be zero, as must the reserved words. Later versions give
	 * them a meaning, with 0 keeping today's behaviour. */
	unsigned reserved_flags;
	uint64_t reserved[3];
} pf_process_options;

/* The size of the first layout (what SIZE 0 means), and the smallest SIZE
 * accepted: the size field and the two unsigned options after it. */
#define PF_PROCESS_OPTIONS_SIZE_0   64u
#define PF_PROCESS_OPTIONS_SIZE_MIN 16u

#define PF_RESTART_NEVER  0u
#define PF_RESTART_ALWAYS 1u

#define PF_ISOLATE_NONE   0u
#define PF_ISOLATE_SPACE  1u

/* The function a process runs on its own thread before it serves calls:
 * register exports and imports here. Return 0 to start serving, or a
 * negative errno value to make pf_process_create fail with it. */
typedef int (*pf_init_fn)(void *arg);

/*
 * pf_process_create - start a simulated process.
 *
 * SYNOPSIS
 *   int pf_process_create(pf_process **out, const char *name,
 *                         const pf_process_options *opts,
 *                         pf_init_fn init, void *arg);
 * DESCRIPTION
 *   Starts a process named NAME (1 to 31 characters, [A-Za-z0-9_-]) with its
 *   own thread(s). INIT(ARG) runs on the new thread first; pf_process_create
 *   returns after INIT has returned, so its exports exist by then. OPTS may
 *   be NULL for the defaults (see pf_process_options: threads, the
 *   PF_RESTART_NEVER or PF_RESTART_ALWAYS policy, deadlines, isolation).
 *   The process then serves its queue until pf_process_stop.
 *   With OPTS->isolation PF_ISOLATE_SPACE the process runs in an operating
 *   system process of its own, forked by pfipc's helper, which any thread
 *   may ask at any time. It starts with the program's memory as it was
 *   when pf_init ran (globals set later are not there), the file
 *   descriptors the program had then, and the kernel state every OS
 *   process of the program shares. So ARG must be an integer, or point at
 *   memory that existed at pf_init (a static or a string literal, not a
 *   local variable of the caller). Calls go both ways as between any two
 *   processes; memory behind a plain pointer argument does not cross (see
 *   pf_copy_from_caller). Whatever it does — a fault, abort(), _exit(), an
 *   outside kill -9 — its OS process ends and its callers get -EOWNERDEAD;
 *   with PF_RESTART_ALWAYS a fresh OS process runs INIT again, and nothing
 *   of the old memory (its handles and per-caller variables included) is
 *   kept. No isolated process outlives the program.
 * RETURN VALUE  0 and *OUT set, or a negative errno value.
 * ERRORS
 *   -EINVAL  bad name or NULL OUT/INIT; or in OPTS: a size that is not a
 *            multiple of 8 or is below PF_PROCESS_OPTIONS_SIZE_MIN, a
 *            non-zero reserved word (or byte past the options this
 *            library knows), more than 64 threads, an unknown restart
 *            policy or isolation.
 *   -ENOSPC  too many processes (at most 1024 over the life of the
 *            program).
 *   -ENOMEM
 *   -EAGAIN  a thread could not be started.
 *   -ECHILD  isolation was asked for and there is no helper to fork the
 *            process (see pf_init).
 *   -EOWNERDEAD  an isolated process's OS process ended before its INIT
 *            returned (INIT crashed, or it was killed).
 *
 *   Or any negative value INIT returned.
 */
int pf_process_create(pf_process **out, const char *name,
		      const pf_process_options *opts, pf_init_fn init,
		      void *arg);

/*
 * pf_process_join_self - make the calling thread a new process.
 *
 * SYNOPSIS  int pf_process_join_self(pf_process **out, const char *name);
 * DESCRIPTION
 *   The calling thread becomes the only thread of a new process (typically a
 *   client: main). It serves its process's queue only while it waits for a
 *   call of its own to return, or inside pf_process_serve.
 * RETURN VALUE  0 and *OUT set (OUT may be NULL), or a negative errno value.
 * ERRORS  -EBUSY the thread already belongs to a process; as
 *         pf_process_create otherwise.
 */
int pf_process_join_self(pf_process **out, const char *name);

/*
 * pf_thread_attach - add the calling thread to an existing process.
 *
 * SYNOPSIS  int pf_thread_attach(pf_process *p);
 * DESCRIPTION
 *   The thread makes calls as P (pf_self() == P inside it) but does not serve
 *   P's queue except while it waits for one of its own calls. Detach with
 *   pf_thread_detach before the thread exits. P must run in the calling
 *   OS process: a thread of the program cannot join an isolated process,
 *   nor a thread of an isolated process one of the program's.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL P is NULL; -EBUSY already attached; -ENOSPC P has 64
 *         threads; -ESRCH P has stopped; -EPERM P runs in another OS
 *         process.
 */
int pf_thread_attach(pf_process *p);

/*
 * pf_thread_detach - undo pf_thread_attach or pf_process_join_self.
 *
 * SYNOPSIS  int pf_thread_detach(void);
 * DESCRIPTION
 *   The calling thread leaves its process. When it was the process made by
 *   pf_process_join_self and no other thread is left, the process stops.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL the thread belongs to no process, or is one of the
 *         threads pf_process_create started.
 */
int pf_thread_detach(void);

/*
 * pf_process_serve - serve the calling thread's process until it stops.
 *
 * SYNOPSIS  int pf_process_serve(void);
 * DESCRIPTION  For a process made with pf_process_join_self: serve its queue
 *   on this thread until pf_process_stop is called on it.
 * RETURN VALUE  0 once the process has stopped, or a negative errno value.
 * ERRORS  -EINVAL the thread belongs to no process.
 */
int pf_process_serve(void);

/*
 * pf_process_stop - ask a process to stop.
 *
 * SYNOPSIS  int pf_process_stop(pf_process *p);
 * DESCRIPTION
 *   New calls to P fail at once with -ESRCH. Calls already queued are still
 *   served; then P's threads leave and its exports are withdrawn (a later
 *   call through an import of them fails with -ESRCH). Returns without
 *   waiting; pf_process_join waits.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL P is NULL.
 */
int pf_process_stop(pf_process *p);

/*
 * pf_process_join - wait until a stopped process's threads have ended.
 *
 * SYNOPSIS  int pf_process_join(pf_process *p);
 * DESCRIPTION
 *   Waits for the threads pf_process_create started. P stays a valid handle
 *   (its name and state can still be read); it is never reused.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL P is NULL, or it is the caller's own process; -EDEADLK the
 *         calling thread is one of P's threads.
 */
int pf_process_join(pf_process *p);

/*
 * pf_self - the process whose code is running on the calling thread.
 *
 * SYNOPSIS  pf_process *pf_self(void);
 * DESCRIPTION
 *   Inside an export, the process serving the call (the server); on a
 *   thread made a process by pf_process_join_self or added by
 *   pf_thread_attach, that process.
 * RETURN VALUE  The process, or NULL if the thread belongs to no process.
 * ERRORS  None.
 */
pf_process *pf_self(void);

/*
 * pf_process_name - the name a process was created with.
 *
 * SYNOPSIS  const char *pf_process_name(const pf_process *p);
 * DESCRIPTION
 *   The name given to pf_process_create or pf_process_join_self. It stays
 *   readable after P has stopped.
 * RETURN VALUE  The name; never NULL for a valid P.
 * ERRORS  None.
 */
const char *pf_process_name(const pf_process *p);

/*
 * pf_process_find - look a running process up by name.
 *
 * SYNOPSIS  pf_process *pf_process_find(const char *name);
 * DESCRIPTION
 *   Finds the process named NAME whose threads have not ended: a running
 *   process, or one still starting or stopping.
 * RETURN VALUE  The process, or NULL if no such process has that name.
 * ERRORS  None.
 */
pf_process *pf_process_find(const char *name);

/* ------------------------------------------------------------------------ */
/* Exports                                                                   */
/* ------------------------------------------------------------------------ */

/* Export flags. */
#define PF_EXPORT_REENTRANT (1u << 0) /* may run on several threads at once */
#define PF_EXPORT_MIGRATE   (1u << 1) /* run on the caller's thread (LRPC) */
#define PF_EXPORT_PRIVATE   (1u << 2) /* only granted processes may import and
					 call it (pf_grant) */
#define PF_EXPORT_STACK_AS_DECLARED (1u << 3) /* take STACK_BYTES as given,
					 unchecked against the debug
					 information (see pf_export) */

/* Most bytes of stack arguments one call may carry. */
#define PF_MAX_STACK_BYTES 512u

/* As STACK_BYTES: pfipc works the count out from the function's prototype
 * in the debug information (the function must be built with -g). */
#define PF_STACK_AUTO ((size_t)-1)

/*
 * pf_export - export a function of the calling process under a name.
 *
 * SYNOPSIS
 *   int pf_export(const char *name, void *fn, size_t stack_bytes,
 *                 unsigned flags);
 * DESCRIPTION
 *   NAME is qualified, "namespace.function" ("math.add"): each part 1 to 63
 *   characters of [A-Za-z0-9_]. The namespace belongs to the first process
 *   that exports into it; other processes may not export into it.
 *   STACK_BYTES is how many bytes of arguments the function takes on the
 *   stack beyond the registers, as System V x86-64 lays them out: each
 *   argument that does not fit in the registers left (6 integer, 8 SSE; a
 *   result returned in memory takes rdi first; a struct goes in registers
 *   only if all of it fits; long double, and structs over 16 bytes, always
 *   go on the stack) is placed at the next offset aligned to 8, or to 16
 *   for a long double, __int128 or other 16-aligned type, and takes its
 *   size rounded up to 8; STACK_BYTES is where the last one ends. So a
 *   long double after 7 integers needs 32 (the 7th integer at 0, the long
 *   double at 16), and an __int128 after 5 integers needs 16 (all of it on
 *   the stack; clang before 18 split it between r9 and the stack: 8). A
 *   multiple of 8, at most PF_MAX_STACK_BYTES; for a variadic function,
 *   the bytes of its named parameters, or more to carry stack arguments
 *   its callers add.
 *   In the i386 build every argument goes on the stack (cdecl): each at a
 *   4-byte aligned offset taking its size rounded up to 4, after a 4-byte
 *   hidden pointer when the result is a struct or union (or a _Complex
 *   double or long double); STACK_BYTES is the whole argument size, a
 *   multiple of 4 ("int f(int, int, int)" needs 12).
 *   Or PF_STACK_AUTO: pfipc works the count out from FN's prototype in the
 *   debug information (DWARF, read with libdw; in the program or in a
 *   shared library, with separate debug files found by build ID under
 *   /usr/lib/debug). When that information is there, a declared count is
 *   checked against it too, unless FLAGS has PF_EXPORT_STACK_AS_DECLARED
 *   (for the few types whose passing DWARF does not fully describe: see
 *   the README's limitations). The work is done here, once, never on a
 *   call.
 *   FN is called with exactly the caller's argument registers (rdi, rsi,
 *   rdx, rcx, r8, r9, al, xmm0-7; on i386 eax, edx, ecx, for -mregparm
 *   and fastcall callees) and those stack bytes, so any ordinary
 *   signature works, variadic ones included. On i386 a callee that pops
 *   its own arguments (a struct result's pointer, stdcall, fastcall) has
 *   them popped for its caller too. Its rax, rdx, xmm0, xmm1 (and
 *   st0, or st0 and st1, when it returns a long double or a long double
 *   _Complex) go back to the caller. FN runs with an empty x87 stack and
 *   the thread running it keeps nothing on it afterwards.
 *   FLAGS is 0 or a combination of PF_EXPORT_REENTRANT, PF_EXPORT_MIGRATE,
 *   PF_EXPORT_PRIVATE and PF_EXPORT_STACK_AS_DECLARED. A migrating export
 *   runs on its caller's thread only when caller and exporter run in one
 *   OS process; a call from another (either of them isolated) is served by
 *   message passing, on the exporter's threads and in its memory.
 * RETURN VALUE  0, or a negative errno value. On -EINVAL because of the
 *   stack bytes, pf_error_message() says why.
 * ERRORS  -EINVAL malformed name, bad flags, bad STACK_BYTES, or the thread
 *         belongs to no process; -EINVAL STACK_BYTES differs from what
 *         FN's prototype needs ("pf_export: math.add declares 24 stack
 *         bytes, its prototype needs 32 (...)"); -EINVAL STACK_BYTES is
 *         PF_STACK_AUTO and the count cannot be worked out: no debug
 *         information describes FN (build it with -g), or a parameter's
 *         type cannot be classified (a 32-byte vector, whose passing
 *         depends on AVX; the message names it); -EEXIST name or
 *         namespace taken; -ENOSPC; -ENOMEM no memory for a definition
 *         the name has not had before.
 */
int pf_export(const char *name, void *fn, size_t stack_bytes, unsigned flags);

/* Where an argument lives in the System V x86-64 call: one of the six
 * integer registers, or an 8-byte word of the stack-argument area. In the
 * i386 build: eax, edx, ecx (0, 1, 2: -mregparm, fastcall), or a 4-byte
 * word of the stack arguments. */
#define PF_ARG_REG(n)   ((unsigned)(n))        /* 0 = rdi ... 5 = r9 */
#define PF_ARG_STACK(w) (6u + (unsigned)(w))   /* w-th 8-byte word */

#define PF_BUF_IN    1u /* copied to the server before the call */
#define PF_BUF_OUT   2u /* copied back to the caller after it */
#define PF_BUF_INOUT 3u

/* A pointer argument whose bytes pfipc copies, so that the server never
 * reads or writes the caller's memory. The server sees a pointer to memory
 * it owns for the duration of the call. */
typedef struct pf_buffer_param {
	unsigned ptr_arg;  /* PF_ARG_REG / PF_ARG_STACK of the pointer */
	unsigned len_arg;  /* ... of its length (an integer, in bytes) */
	unsigned dir;      /* PF_BUF_IN, PF_BUF_OUT or PF_BUF_INOUT */
	unsigned len_size; /* bytes of the length's type: 4, or 8 (0 means 8);
			      a 4-byte length is read as unsigned */
	size_t max_len;    /* a longer length fails the call with -EMSGSIZE */
} pf_buffer_param;

#define PF_MAX_BUFFER_PARAMS 8u

/*
 * pf_export_buffers - export a function whose pointer arguments are copied.
 *
 * SYNOPSIS
 *   int pf_export_buffers(const char *name, void *fn, size_t stack_bytes,
 *                         unsigned flags, const pf_buffer_param *bufs,
 *                         unsigned nbufs);
 * DESCRIPTION  As pf_export (STACK_BYTES may be PF_STACK_AUTO), and for
 *   each of the NBUFS (at most PF_MAX_BUFFER_PARAMS) buffer parameters:
 *   before FN runs, an IN or INOUT buffer's bytes are copied into memory
 *   owned by the server, and the
 *   pointer argument is replaced by a pointer to that copy; after FN
 *   returns, an OUT or INOUT buffer's bytes are copied back to the caller's
 *   pointer. A NULL pointer stays NULL when its length is 0. Each
 *   pf_buffer_param names its pointer and length arguments with PF_ARG_REG
 *   or PF_ARG_STACK, and its direction with PF_BUF_IN, PF_BUF_OUT or
 *   PF_BUF_INOUT.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  as pf_export; -EINVAL a bad buffer description.
 * NOTES  A call whose length exceeds max_len fails, with pf_errno()
 *   returning -EMSGSIZE, and FN does not run; a call passing a NULL
 *   pointer with a non-zero length fails with -EINVAL. Between two OS
 *   processes (an isolated caller or server) the bytes are copied with
 *   the checked copies (pf_copy_from_caller): a buffer that cannot be read
 *   fails the call with -EFAULT before FN runs, one that cannot be written
 *   back fails it with -EFAULT after.
 */
int pf_export_buffers(const char *name, void *fn, size_t stack_bytes,
		      unsigned flags, const pf_buffer_param *bufs,
		      unsigned nbufs);

/* ------------------------------------------------------------------------ */
/* Imports                                                                   */
/* ------------------------------------------------------------------------ */

/* Import flags. */
#define PF_IMPORT_LAZY   (1u << 0) /* the name need not be exported yet: the
				      first call binds it, waiting up to the
				      process's bind_timeout_ns */
#define PF_IMPORT_ASYNC  (1u << 1) /* a call returns at once; its return
				      value (a uint64_t) is a ticket for
				      pf_wait */
#define PF_IMPORT_ONEWAY (1u << 2) /* a call returns 0 at once; nothing
				      comes back */

/*
 * pf_import_create - import a name into the calling thread's process.
 *
 * SYNOPSIS  int pf_import_create(pf_import **out, const char *name, unsigned flags);
 * DESCRIPTION
 *   Gives the process a slot in its import table and a gate address. Call
 *   the export by calling the gate as a function pointer (pf_import_gate,
 *   PF_GATE) or through the slot (pf_import_slot, PF_SLOT): both fault, and
 *   the fault handler turns the fault into a call on the exporting process.
 *   FLAGS is 0 or a combination of PF_IMPORT_LAZY, PF_IMPORT_ASYNC and
 *   PF_IMPORT_ONEWAY. Without PF_IMPORT_LAZY the name must be exported
 *   already.
 * RETURN VALUE  0 and *OUT set, or a negative errno value.
 * ERRORS  -EINVAL malformed name or flags, or the thread belongs to no
 *         process; -ENOENT nobody exports NAME (and PF_IMPORT_LAZY is not
 *         set); -EPERM NAME is a private export and the process holds no
 *         grant for it (see pf_grant; a lazy import of a name not yet
 *         exported is checked at its first call instead); -ENOSPC the
 *         process has 256 imports.
 */
int pf_import_create(pf_import **out, const char *name, unsigned flags);

/*
 * pf_import_gate - the import's gate, to call as a function pointer.
 *
 * SYNOPSIS  void *pf_import_gate(const pf_import *imp);
 * DESCRIPTION
 *   The gate is an address in pages nobody may touch that behaves as a
 *   function pointer to the export: calling it is the call. Cast it to the
 *   export's type, or use PF_GATE, which does the cast.
 * RETURN VALUE  The gate address.
 * ERRORS  None.
 */
void *pf_import_gate(const pf_import *imp);

/*
 * pf_import_slot - the import's slot in the process's import table.
 *
 * SYNOPSIS  void *const *pf_import_slot(const pf_import *imp);
 * DESCRIPTION
 *   The slot holds the gate; reading it or calling through it faults, and
 *   the fault handler makes both behave as if the slot were ordinary
 *   memory. PF_SLOT casts it to a pointer to the export's function type.
 * RETURN VALUE  The slot's address.
 * ERRORS  None.
 */
void *const *pf_import_slot(const pf_import *imp);

/*
 * pf_import_name - the name an import was made with.
 *
 * SYNOPSIS  const char *pf_import_name(const pf_import *imp);
 * DESCRIPTION
 *   The qualified name ("namespace.function") given to pf_import_create.
 * RETURN VALUE  The name.
 * ERRORS  None.
 */
const char *pf_import_name(const pf_import *imp);

/*
 * pf_import_set_timeout - a deadline for every synchronous call through IMP.
 *
 * SYNOPSIS  int pf_import_set_timeout(pf_import *imp, int64_t ns);
 * DESCRIPTION  A call not answered within NS nanoseconds fails with
 *   -ETIMEDOUT; if the callee is still running it, the reply is discarded
 *   when it comes (out-buffers are not copied back). 0 removes the
 *   import's own deadline (the process's call_timeout_ns applies).
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL IMP is NULL or NS is negative.
 */
int pf_import_set_timeout(pf_import *imp, int64_t ns);

/* ------------------------------------------------------------------------ */
/* Asynchronous calls                                                        */
/* ------------------------------------------------------------------------ */

/* The return registers of a finished asynchronous call. In the i386
 * build: eax and edx in rax and rdx; a float, double or long double
 * result (st0) in st0, and converted in xmm0[0] and xmm0_float. */
typedef struct pf_result {
	uint64_t rax, rdx;        /* integers, pointers, small structs */
	double xmm0[2], xmm1[2];  /* xmm0[0]: a double result */
	float xmm0_float;         /* xmm0's low 4 bytes: a float result */
	int has_long_double;      /* x87 values returned: 0 none; 1 a long
				     double (st0); 2 a long double _Complex
				     (st0 real part, st1 imaginary part) */
	long double st0;          /* a long double result, or the real part */
	long double st1;          /* a long double _Complex's imaginary part */
} pf_result;

/*
 * pf_wait - wait for an asynchronous call's ticket.
 *
 * SYNOPSIS  int pf_wait(uint64_t ticket, int64_t timeout_ns, pf_result *out);
 * DESCRIPTION
 *   TICKET is what a call through a PF_IMPORT_ASYNC import returned. Waits
 *   up to TIMEOUT_NS nanoseconds (negative: forever; 0: just look). When
 *   the call has finished, fills OUT (may be NULL) and releases the ticket.
 *   Only a thread of the process that made the call may wait for it.
 * RETURN VALUE  0, or the call's own error (-ESRCH, -EOWNERDEAD, ...), or:
 * ERRORS  -ETIMEDOUT not finished yet (the ticket stays valid); -ENOENT no
 *         such ticket (never issued, or already collected); -EPERM the
 *         ticket belongs to another process; -EINVAL the calling thread
 *         belongs to no process (tickets are collected by a thread of the
 *         process that made the call).
 */
int pf_wait(uint64_t ticket, int64_t timeout_ns, pf_result *out);

/* ------------------------------------------------------------------------ */
/* Death notifications                                                       */
/* ------------------------------------------------------------------------ */

/* Why a watched process went away. */
#define PF_DIED_CRASHED 1   /* a fault in one of its exports (an isolated
			       process: its OS process ended unasked) */
#define PF_DIED_STOPPED 2   /* pf_process_stop, or its last thread left */

typedef void (*pf_death_fn)(pf_process *p, int why, void *arg);

/*
 * pf_process_watch - be told when P crashes or stops.
 *
 * SYNOPSIS  int pf_process_watch(pf_process *p, pf_death_fn fn, void *arg);
 * DESCRIPTION  FN(P, WHY, ARG) runs, in normal context, on the thread that
 *   noticed the death, each time P crashes (also when it is then
 *   restarted) and once when it stops. WHY is PF_DIED_CRASHED or
 *   PF_DIED_STOPPED. Keep it short; it must not wait for P. At most 16
 *   watchers per process. Watchers run in the program's own OS process,
 *   where FN and ARG mean what they meant when they were registered: for
 *   an isolated P, on a thread of pfipc's that learns of the end of P's OS
 *   process (it belongs to no process: FN cannot make calls), so that
 *   pf_process_join(P) returns only after they ran.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL P or FN is NULL; -ENOSPC 16 watchers already;
 *         -EOPNOTSUPP called inside an isolated process.
 */
int pf_process_watch(pf_process *p, pf_death_fn fn, void *arg);

/*
 * pf_process_crashes - how many times a process has crashed.
 *
 * SYNOPSIS  unsigned pf_process_crashes(const pf_process *p);
 * DESCRIPTION
 *   Counts the faults inside P's exports so far, each of which killed the
 *   call that faulted (and, without PF_RESTART_ALWAYS, the process).
 * RETURN VALUE  The number of crashes.
 * ERRORS  None.
 */
unsigned pf_process_crashes(const pf_process *p);

/* PF_GATE(int(int, int), imp)  → int (*)(int, int)
 * PF_SLOT(int(int, int), imp)  → int (*const *)(int, int); call (*slot)(..)
 * FN_TYPE is a function type. */
#define PF_GATE(fn_type, imp) ((__typeof__(fn_type) *)pf_import_gate(imp))
#define PF_SLOT(fn_type, imp) \
	((__typeof__(fn_type) *const *)pf_import_slot(imp))

/* ------------------------------------------------------------------------ */
/* Who is calling: caller identity, per-caller data, handles, grants         */
/* ------------------------------------------------------------------------ */

/*
 * pf_caller - the process that made the call the calling thread is serving.
 *
 * SYNOPSIS  pf_process *pf_caller(void);
 * DESCRIPTION
 *   Inside an export, the process whose thread made the call: pfipc takes it
 *   from the thread that faulted, never from the call's arguments, so a
 *   caller cannot pass itself off as another process. Under nested calls it
 *   is the immediate caller: when A calls B and B's export calls C, C sees
 *   B, and B, after C returns, still sees A.
 * RETURN VALUE  The calling process, or NULL outside an export (and on a
 *   thread that belongs to no process).
 * ERRORS  None.
 */
pf_process *pf_caller(void);

/*
 * pf_copy_from_caller - copy bytes from the calling process's memory.
 *
 * SYNOPSIS  int pf_copy_from_caller(void *dst, const void *src, size_t n);
 * DESCRIPTION
 *   Inside an export: copies N bytes from SRC, an address in the memory of
 *   the calling process (pf_caller), to DST in the serving process's own
 *   memory. Memory behind a plain pointer argument does not cross from
 *   one process to another: an isolated server (PF_ISOLATE_SPACE) that
 *   dereferences a caller's pointer reads its own memory at that address,
 *   not the caller's. This copy reaches the caller's memory wherever it
 *   is, in an isolated process or in the program, and a bad range is an
 *   error rather than a fault: a wild pointer from a caller cannot crash
 *   the server, isolated or not. The copy is made with process_vm_readv,
 *   a system call per copy.
 * RETURN VALUE  0 once all N bytes are copied, or a negative errno value.
 * ERRORS  -EINVAL not inside an export, or DST is NULL with N > 0;
 *         -EFAULT some byte of SRC .. SRC + N cannot be read in the
 *         caller's memory (DST may then hold part of it); -ESRCH the
 *         caller's OS process is gone; -EPERM the system forbids reading
 *         another process's memory (a Yama ptrace scope of 2 or more,
 *         for an isolated caller or server).
 * SEE ALSO  pf_copy_to_caller(3), pf_export_buffers(3)
 */
int pf_copy_from_caller(void *dst, const void *src, size_t n);

/*
 * pf_copy_to_caller - copy bytes into the calling process's memory.
 *
 * SYNOPSIS  int pf_copy_to_caller(void *dst, const void *src, size_t n);
 * DESCRIPTION
 *   Inside an export: copies N bytes from SRC in the serving process's
 *   memory to DST, an address in the memory of the calling process
 *   (pf_caller), with process_vm_writev. As pf_copy_from_caller, it
 *   reaches the caller's memory across an isolated process's boundary,
 *   and a bad destination is an error, not a fault.
 * RETURN VALUE  0 once all N bytes are copied, or a negative errno value.
 * ERRORS  -EINVAL not inside an export, or SRC is NULL with N > 0;
 *         -EFAULT some byte of DST .. DST + N cannot be written in the
 *         caller's memory (part of it may have been); -ESRCH the caller's
 *         OS process is gone; -EPERM the system forbids it.
 * SEE ALSO  pf_copy_from_caller(3)
 */
int pf_copy_to_caller(void *dst, const void *src, size_t n);

/*
 * pf_caller_data_alloc - allocate a per-caller variable.
 *
 * SYNOPSIS  int pf_caller_data_alloc(unsigned key, size_t size, void **out);
 * DESCRIPTION
 *   Inside an export: allocates SIZE zeroed bytes (aligned for any type)
 *   that the serving process (pf_self) keeps for the calling process
 *   (pf_caller) under KEY. Each caller has its own variable for each key;
 *   no other caller can reach it through pf_caller_data_get. The memory
 *   belongs to the server and stays put until pf_caller_data_free, or until
 *   the caller or the server exits (stops, or crashes without restarting),
 *   when pfipc frees it: pointers into it may be kept between calls until
 *   then. A process that crashes and restarts has not exited: its
 *   variables, handles and grants survive, as its memory does — except an
 *   isolated server's, which restarts without its old memory: its
 *   variables and its handle table are emptied when its OS process ends
 *   (its grants stay).
 * RETURN VALUE  0 and *OUT set, or a negative errno value.
 * ERRORS  -EINVAL not inside an export, OUT is NULL or SIZE is 0;
 *         -EEXIST the caller already has a variable under KEY;
 *         -ESRCH the caller has exited; -ENOMEM.
 */
int pf_caller_data_alloc(unsigned key, size_t size, void **out);

/*
 * pf_caller_data_get - find the calling process's per-caller variable.
 *
 * SYNOPSIS  void *pf_caller_data_get(unsigned key);
 * DESCRIPTION
 *   Inside an export: the variable the serving process keeps for the
 *   calling process under KEY (see pf_caller_data_alloc).
 * RETURN VALUE  The variable, or NULL if the caller has none under KEY, or
 *   outside an export.
 * ERRORS  None.
 */
void *pf_caller_data_get(unsigned key);

/*
 * pf_caller_data_free - free the calling process's variable under KEY.
 *
 * SYNOPSIS  int pf_caller_data_free(unsigned key);
 * DESCRIPTION
 *   Inside an export: frees the variable the serving process keeps for the
 *   calling process under KEY; KEY may then be allocated again.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL not inside an export; -ENOENT no variable under KEY.
 */
int pf_caller_data_free(unsigned key);

/*
 * pf_handle_create - give the calling process a handle for an object.
 *
 * SYNOPSIS  int pf_handle_create(void *object, uint64_t *out_handle);
 * DESCRIPTION
 *   Inside an export: enters OBJECT in the serving process's handle table,
 *   owned by the calling process (pf_caller), and returns a handle for it
 *   that the server can hand to the caller. A handle is not a pointer: it
 *   combines a table index, a generation and a random tag, so it cannot be
 *   derived from OBJECT's address nor usefully guessed, and its value is
 *   never given out again while it is open. Only the owner's calls can use
 *   it (pf_handle_lookup, pf_handle_close, pf_handle_transfer). When the
 *   owner exits its handles are closed; the objects stay the server's.
 * RETURN VALUE  0 and *OUT_HANDLE set, or a negative errno value.
 * ERRORS  -EINVAL not inside an export, or OUT_HANDLE is NULL; -ESRCH the
 *         caller has exited; -ENOSPC the table has 2^20 handles; -ENOMEM.
 */
int pf_handle_create(void *object, uint64_t *out_handle);

/*
 * pf_handle_lookup - the object behind a handle the calling process owns.
 *
 * SYNOPSIS  int pf_handle_lookup(uint64_t h, void **out);
 * DESCRIPTION
 *   Inside an export: looks H up in the serving process's table. It
 *   succeeds only when the calling process owns H; any other caller gets
 *   -EPERM and *OUT is left alone.
 * RETURN VALUE  0 and *OUT set, or a negative errno value.
 * ERRORS  -EINVAL not inside an export, or OUT is NULL; -EBADF H is not
 *         open (closed, stale, or never made); -EPERM another process owns H.
 */
int pf_handle_lookup(uint64_t h, void **out);

/*
 * pf_handle_close - close a handle the calling process owns.
 *
 * SYNOPSIS  int pf_handle_close(uint64_t h);
 * DESCRIPTION  Inside an export: H stops naming its object; later uses of
 *   it fail with -EBADF. The object itself is the server's to free.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  as pf_handle_lookup.
 */
int pf_handle_close(uint64_t h);

/*
 * pf_handle_transfer - give a handle the calling process owns to another.
 *
 * SYNOPSIS  int pf_handle_transfer(uint64_t h, pf_process *to);
 * DESCRIPTION  Inside an export: TO becomes H's owner (the value of H does
 *   not change). From then on only TO's calls can use H.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  as pf_handle_lookup; -EINVAL TO is NULL; -ESRCH TO has exited.
 */
int pf_handle_transfer(uint64_t h, pf_process *to);

/* Grant flags. */
#define PF_GRANT_DELEGATE (1u << 0) /* the holder may pf_delegate the grant */

/*
 * pf_grant - let a process import and call a private export.
 *
 * SYNOPSIS  int pf_grant(const char *name, pf_process *to, unsigned flags);
 * DESCRIPTION
 *   Called by the process exporting NAME with PF_EXPORT_PRIVATE (from its
 *   init, an export, or any of its threads). Without a grant,
 *   pf_import_create of a private export fails with -EPERM, and so does every
 *   call through an import of it (pf_errno() == -EPERM), checked at each
 *   call. FLAGS is 0 or PF_GRANT_DELEGATE: with it, TO may pass the grant
 *   on (pf_delegate).
 *   Granting again replaces the flags. Grants end when the exporter or the
 *   holder exits (a crash followed by a restart is not an exit); they do
 *   not carry over to another process that exports NAME later. An export
 *   may grant its own caller: pf_grant(name, pf_caller(), 0).
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL malformed NAME, TO is NULL, bad FLAGS, the export is not
 *         private, or the thread belongs to no process; -ENOENT nobody
 *         exports NAME; -EPERM the calling process does not export NAME;
 *         -ESRCH TO has exited; -ENOMEM.
 */
int pf_grant(const char *name, pf_process *to, unsigned flags);

/*
 * pf_delegate - pass a grant on to a third process.
 *
 * SYNOPSIS  int pf_delegate(const char *name, pf_process *to);
 * DESCRIPTION
 *   Called by a process holding a grant for NAME made with
 *   PF_GRANT_DELEGATE (or by the exporter, where it is pf_grant with no
 *   flags). TO gets a grant for NAME that it cannot delegate further. As in
 *   capability systems, revoking a holder's grant also revokes the grants it
 *   delegated, and the holder may itself revoke what it delegated
 *   (pf_revoke). A TO that already holds a grant keeps the one it has.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  as pf_grant; -EPERM the calling process holds no grant for NAME
 *         that it may delegate.
 */
int pf_delegate(const char *name, pf_process *to);

/*
 * pf_revoke - take a grant back.
 *
 * SYNOPSIS  int pf_revoke(const char *name, pf_process *from);
 * DESCRIPTION
 *   Called by the exporter of NAME, or by the process that delegated FROM's
 *   grant. FROM's grant ends, with every grant FROM delegated. FROM's
 *   imports of NAME stay, but their next call fails with pf_errno() ==
 *   -EPERM (a call already queued still runs); a new grant makes them work
 *   again.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  as pf_grant; -ENOENT FROM holds no grant for NAME; -EPERM the
 *         calling process is neither the exporter nor FROM's granter.
 */
int pf_revoke(const char *name, pf_process *from);

/* ------------------------------------------------------------------------ */
/* Windows: memory and I/O ports whose accesses are calls                    */
/* ------------------------------------------------------------------------ */

/*
 * A window is an interface offered as memory. Its owner gives it a name
 * (as an export's, "ns.name"), a size, and the functions that serve it;
 * another process maps it and gets an address. Every load and store the
 * mapping process makes there faults, pfipc decodes the instruction
 * (Capstone) and emulates it exactly, and each memory access it makes
 * becomes a message to the owner, served on the owner's thread with
 * pf_caller() set to the accessing process, through the same queue, turns,
 * deadlock detection, timeouts and crash containment as a call. The
 * instruction then completes as the CPU would have completed it on
 * ordinary memory holding the bytes the owner returned: registers,
 * flags and vector registers, and every other register exactly as it was.
 * doc/emulation.md lists the instructions emulated; anything else that
 * touches a window (and an access that crosses its end) is refused with
 * one line on stderr, and the process that did it dies (or crashes, inside
 * an export). A window of ports does the same for in, out, ins and outs.
 * README: "Windows".
 */

/* The instruction's part of an atomic access, for pf_window_ops.update:
 * call it with the bytes read (VALUE, the access's width); it changes
 * them into the bytes to write and returns 1 if they are to be written,
 * 0 if not (a cmpxchg whose comparison failed). */
typedef int (*pf_window_step_fn)(void *arg, void *value);

/* How a window's owner serves it. Each function runs on a thread of the
 * owner (or of the accessing process, for a PF_EXPORT_MIGRATE window),
 * with pf_caller() the accessing process, and returns 0 or a negative
 * errno value, which fails the access (a load then yields all ones, a
 * store is dropped, and the accessing thread's pf_errno() is the value).
 * OFFSET is in bytes from the window's start, or the port minus the
 * range's first port; WIDTH is 1, 2, 4, 8, 16 or 32 (1, 2 or 4 for a
 * port); VALUE holds WIDTH bytes, little-endian. A NULL function fails
 * its accesses with -EOPNOTSUPP. */
typedef struct pf_window_ops {
	/* A load: fill VALUE. */
	int (*read)(void *ctx, uint64_t offset, unsigned width, void *value);
	/* A store of VALUE. */
	int (*write)(void *ctx, uint64_t offset, unsigned width,
		     const void *value);
	/* Optional: an atomic access (xchg, a lock-prefixed instruction):
	 * read the bytes, call STEP(ARG, bytes), and write them back if it
	 * returns 1, with no other access to the window in between. NULL:
	 * pfipc does read, STEP, write itself, which is atomic because a
	 * window without PF_EXPORT_REENTRANT serves one access at a time. */
	int (*update)(void *ctx, uint64_t offset, unsigned width,
		      pf_window_step_fn step, void *arg);
} pf_window_ops;

/* Mapping flags. */
#define PF_WINDOW_POSTED (1u << 0) /* stores do not wait for the owner (a
				      one-way message, as a posted write on a
				      bus); loads and atomic accesses still
				      wait */

/*
 * pf_window_create - offer a memory window under a name.
 *
 * SYNOPSIS
 *   int pf_window_create(const char *name, size_t pages,
 *                        const pf_window_ops *ops, void *ctx,
 *                        unsigned flags);
 * DESCRIPTION
 *   The calling process offers a window of PAGES pages of 4096 bytes (1 to
 *   256) named NAME ("namespace.name", as pf_export's names, in the same
 *   namespace table). Its accesses are served by OPS (copied) with CTX as
 *   their first argument. FLAGS is 0 or a combination of
 *   PF_EXPORT_REENTRANT (several accesses may be served at once, on
 *   several threads; OPS must then have an update function),
 *   PF_EXPORT_MIGRATE (accesses are served on the accessing thread) and
 *   PF_EXPORT_PRIVATE (only processes holding a grant may map it: pf_grant,
 *   pf_delegate and pf_revoke take the window's name). A process that
 *   crashes and restarts offers its windows again from its init; mappings
 *   of them then reach the new incarnation.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL malformed NAME, OPS NULL or with none of the three
 *         functions, PAGES 0 or above 256, bad FLAGS,
 *         PF_EXPORT_REENTRANT without an update function, or the thread
 *         belongs to no process; -EEXIST the name or its namespace is
 *         taken; -ENOSPC the name table is full.
 */
int pf_window_create(const char *name, size_t pages, const pf_window_ops *ops,
		     void *ctx, unsigned flags);

/*
 * pf_window_map - map a window into the calling process.
 *
 * SYNOPSIS  int pf_window_map(const char *name, unsigned flags, void **addr);
 * DESCRIPTION
 *   *ADDR becomes the address of window NAME in the calling thread's
 *   process: page aligned, as many pages as the window has, never readable
 *   or writable. Use it through a volatile pointer (a struct of device
 *   registers, an array): each load or store there is decoded, emulated
 *   exactly, and served by the window's owner (pf_window_create; the
 *   instructions emulated are listed in doc/emulation.md; any other
 *   access there is refused with one line, and the process that made it
 *   dies, or crashes inside an export). The accesses must be made by
 *   threads of the mapping process (another process's fail with -EPERM).
 *   A load that fails (the owner died or stopped, the grant was revoked,
 *   the owner's function failed, the access timed out) yields all ones, as
 *   a read from an absent device does; a store that fails is dropped;
 *   either way the instruction completes, and pf_errno() says why. Every
 *   instruction that accesses a window sets pf_errno(), 0 when all its
 *   accesses succeeded.
 *   FLAGS is 0 or PF_WINDOW_POSTED. The process's call_timeout_ns bounds
 *   each access, unless pf_window_set_timeout set another.
 * RETURN VALUE  0 and *ADDR set, or a negative errno value.
 * ERRORS  -EINVAL NAME or ADDR is NULL, bad FLAGS, or the thread belongs
 *         to no process; -ENOENT no process offers a window NAME (a
 *         function export of that name is not one); -EPERM the window is
 *         private and the process holds no grant for it; -ENOSPC the
 *         process has 16 windows mapped; -ENOMEM the window area could not
 *         be reserved; -EOPNOTSUPP the window's owner runs in another OS
 *         process (an isolated process, or the program seen from one):
 *         windows do not cross that boundary.
 */
int pf_window_map(const char *name, unsigned flags, void **addr);

/*
 * pf_window_unmap - take a window mapping away.
 *
 * SYNOPSIS  int pf_window_unmap(void *addr);
 * DESCRIPTION
 *   ADDR is an address pf_window_map gave the calling process. From now on
 *   an access there is refused as an access to no window; the address may
 *   be given out again by a later pf_window_map. A process's mappings end
 *   when it exits.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL ADDR is no mapping of the calling process, or the thread
 *         belongs to no process.
 */
int pf_window_unmap(void *addr);

/*
 * pf_window_set_timeout - a deadline for each access through a mapping.
 *
 * SYNOPSIS  int pf_window_set_timeout(void *addr, int64_t ns);
 * DESCRIPTION
 *   Each access through the mapping at ADDR fails with -ETIMEDOUT when its
 *   owner has not served it NS nanoseconds after it was made (0: the
 *   process's call_timeout_ns, the default).
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL ADDR is no mapping of the calling process, or NS < 0.
 */
int pf_window_set_timeout(void *addr, int64_t ns);

/*
 * pf_port_create - offer a range of I/O ports under a name.
 *
 * SYNOPSIS
 *   int pf_port_create(const char *name, unsigned first, unsigned count,
 *                      const pf_window_ops *ops, void *ctx,
 *                      unsigned flags);
 * DESCRIPTION
 *   As pf_window_create, for the COUNT ports from FIRST (FIRST + COUNT at
 *   most 65536). A process that maps it (pf_port_map) may then use in, out,
 *   ins and outs on those ports: user space may not, so each raises a
 *   general-protection fault, which pfipc turns into accesses to the
 *   range's owner, exactly as for a memory window (OFFSET is the port minus
 *   FIRST; an access of WIDTH bytes uses ports OFFSET to OFFSET + WIDTH - 1,
 *   all of which must be in the range).
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  as pf_window_create, with -EINVAL for COUNT 0 or a range past
 *         port 65535.
 */
int pf_port_create(const char *name, unsigned first, unsigned count,
		   const pf_window_ops *ops, void *ctx, unsigned flags);

/*
 * pf_port_map - make a range of ports usable by the calling process.
 *
 * SYNOPSIS  int pf_port_map(const char *name, unsigned flags);
 * DESCRIPTION
 *   The ports of range NAME become the calling process's, at their own
 *   numbers: in, out, ins and outs on them by its threads are accesses to
 *   the range's owner, with the same rules for failures, pf_errno() and
 *   timeouts as a window mapping. FLAGS is 0 or PF_WINDOW_POSTED (out and
 *   outs do not wait). An in or out on a port no range of the process
 *   covers is not pfipc's: it is the general-protection fault it would
 *   have been (the program dies by SIGSEGV, or its handler gets it);
 *   one that a range covers only in part is refused with one line.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL NAME is NULL, bad FLAGS, or the thread belongs to no
 *         process; -ENOENT no process offers a port range NAME; -EPERM
 *         the range is private and the process holds no grant for it;
 *         -EBUSY a range the process mapped already has one of its ports;
 *         -ENOSPC the process has 16 ranges mapped; -EOPNOTSUPP the
 *         range's owner runs in another OS process (see pf_window_map).
 */
int pf_port_map(const char *name, unsigned flags);

/*
 * pf_port_unmap - give a range of ports back.
 *
 * SYNOPSIS  int pf_port_unmap(const char *name);
 * DESCRIPTION  The calling process's mapping of port range NAME ends: its
 *   ports are no longer pfipc's in that process.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL NAME is NULL, or the thread belongs to no process;
 *         -ENOENT the process has no mapping of NAME.
 */
int pf_port_unmap(const char *name);

/* ------------------------------------------------------------------------ */
/* Entry mechanisms: every way into the kernel, one dispatcher               */
/* ------------------------------------------------------------------------ */

/*
 * The ways a call can enter pfipc. Each is a call to the import with the
 * same register image, results, errors, nesting, asynchronous and one-way
 * behaviour, crash containment and caller identity as a gate call; they
 * differ in what the CPU and the kernel do on the way in, which is what
 * they are there to compare.
 *
 *   PF_ENTRY_GATE     a call to the gate: a fetch fault (SIGSEGV)
 *   PF_ENTRY_TRAP     a call to a stub that is an int3: SIGTRAP
 *   PF_ENTRY_UD2      a call to a stub that is a ud2: SIGILL
 *   PF_ENTRY_INT      int $N with the call number in eax: a general
 *                     protection fault (SIGSEGV); N is 0x81 unless
 *                     pf_entry_vector set another
 *   PF_ENTRY_SYSCALL  syscall with the call number in eax, dispatched by
 *                     Linux's Syscall User Dispatch (SIGSYS, Linux >= 5.11)
 *   PF_ENTRY_INT80    int $0x80 with the call number in eax, dispatched the
 *                     same way (a real 32-bit system call otherwise)
 *
 * Every kind has a stub per import (pf_import_entry): a function to call
 * with the export's own signature. The numbered kinds (INT, SYSCALL,
 * INT80) can also be entered by the raw instruction, with the number
 * pf_import_number gives (its page says how). SYSCALL and INT80 need
 * Linux's Syscall User Dispatch (pf_entry_enable says which threads have
 * it). README: "How a call enters".
 */

/* Entry kinds, for pf_import_entry and pf_entry_enable. */
#define PF_ENTRY_GATE    0u
#define PF_ENTRY_TRAP    1u
#define PF_ENTRY_UD2     2u
#define PF_ENTRY_INT     3u
#define PF_ENTRY_SYSCALL 4u
#define PF_ENTRY_INT80   5u

/*
 * pf_entry_enable - make sure an entry kind works on this machine.
 *
 * SYNOPSIS  int pf_entry_enable(unsigned kind);
 * DESCRIPTION
 *   For PF_ENTRY_SYSCALL and PF_ENTRY_INT80: switches Syscall User Dispatch
 *   on for the calling thread (when it belongs to a process) and for every
 *   thread that joins a process from then on; it stays on for the life of
 *   the program. Call it before starting the processes whose threads will
 *   make such calls. A dispatching thread pays more for every system call
 *   it makes (about a third more for getpid on the development machine),
 *   so it is off until asked for. The other kinds need nothing: 0.
 *   PFIPC_SYSCALL_ENTRY=0 in the environment makes it fail as on a kernel
 *   without Syscall User Dispatch.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL an unknown KIND; -EOPNOTSUPP the kernel has no Syscall
 *         User Dispatch (Linux < 5.11, or refused under a tool that does not
 *         support it), or the C library's code could not be found.
 * NOTES
 *   A thread that joined its process before, a thread of no process and a
 *   forked child do not dispatch: a call through their SYSCALL or INT80
 *   stub is refused with one line on stderr (a raw syscall with a pfipc
 *   number runs as an unknown system call and returns -ENOSYS). System
 *   calls made inside the C library always run; one made elsewhere on a
 *   dispatching thread (a raw syscall, the dynamic linker's) is made for
 *   the program by pfipc's handler, except a clone onto a new stack or
 *   sharing memory, and clone3, which fail with -ENOSYS; vfork is made as
 *   fork. A thread that blocks SIGSYS cannot make a dispatched call.
 */
int pf_entry_enable(unsigned kind);

/*
 * pf_import_entry - the stub that calls an import through one entry kind.
 *
 * SYNOPSIS  int pf_import_entry(const pf_import *imp, unsigned kind, void **out);
 * DESCRIPTION
 *   *OUT becomes a function address: calling it with the export's signature
 *   calls the export through KIND (PF_ENTRY_GATE gives the gate). The stub
 *   is code pfipc writes once into an entry page (never writable and
 *   executable at once): a call to a TRAP stub executes an int3, to a UD2
 *   stub a ud2, to an INT, SYSCALL or INT80 stub the instruction with the
 *   import's number. For SYSCALL and INT80 this calls pf_entry_enable. Use
 *   it from the threads of the import's process, as the gate.
 * RETURN VALUE  0 and *OUT set, or a negative errno value.
 * ERRORS  -EINVAL IMP or OUT is NULL, or an unknown KIND; -EOPNOTSUPP as
 *         pf_entry_enable; -ENOMEM the entry pages could not be reserved.
 */
int pf_import_entry(const pf_import *imp, unsigned kind, void **out);

/* PF_ENTRY(int(int, int), imp, PF_ENTRY_SYSCALL) → int (*)(int, int), or
 * NULL when pf_import_entry fails. */
#define PF_ENTRY(fn_type, imp, kind) __extension__({                        \
	void *pf_entry_ = NULL;                                             \
	pf_import_entry((imp), (kind), &pf_entry_);                         \
	(__typeof__(fn_type) *)pf_entry_;                                   \
})

/*
 * pf_import_number - the import's call number.
 *
 * SYNOPSIS  int pf_import_number(const pf_import *imp);
 * DESCRIPTION
 *   The number to put in eax for a raw int $N, syscall or int $0x80 entry
 *   (NOTES below). Every import in the program has its own; they lie far
 *   above Linux's system call numbers, from 0x10000000 up.
 * RETURN VALUE  The number (positive), or a negative errno value.
 * ERRORS  -EINVAL IMP is NULL.
 * NOTES
 *   The raw instructions: eax holds the number; al (the vector registers
 *   a variadic callee is told about) goes in bits 32..39 of rax for
 *   syscall and int $N, and in the low byte of r11 for int $0x80, whose
 *   entry keeps only eax (leave them 0 for a callee that is not
 *   variadic). The arguments are in the System V places (rdi, rsi, rdx,
 *   rcx, r8, r9, xmm0-7), except that syscall takes the fourth in r10
 *   (syscall clobbers rcx), as Linux's own calls do. Stack arguments are
 *   read from 8(%rsp) up at the instruction, where they are inside a stub
 *   that was called. The results come back in rax, rdx, xmm0, xmm1 (and
 *   st0, st1) as from a call; rbx, rbp, r12-r15 and rsp are kept and the
 *   128 bytes below rsp are never written; every other register (rcx,
 *   r11, rdi, rsi, r8-r10, xmm2-15, flags) may change: declare them
 *   clobbered. A call by number from a thread of another process than the
 *   import's fails with pf_errno() == -EPERM, as through that process's
 *   gate. A number in pfipc's range
 *   that names no import is refused with one line on stderr (the program
 *   dies, or the process whose export made it crashes); an int $N or a
 *   syscall with any other number is not pfipc's: the program's handler
 *   gets it, or the system call is made.
 */
int pf_import_number(const pf_import *imp);

/*
 * pf_call_table_print - print every import's call number.
 *
 * SYNOPSIS  int pf_call_table_print(FILE *f);
 * DESCRIPTION
 *   Writes a header line, then one line per import of every process:
 *   number, importing process, import name, and the process exporting the
 *   name now ("-" when nobody does). A program's own system call table.
 * RETURN VALUE  The number of imports printed, or a negative errno value.
 * ERRORS  -EINVAL F is NULL; -EIO writing to F failed.
 */
int pf_call_table_print(FILE *f);

/*
 * pf_entry_vector - choose the vector of the int $N entry.
 *
 * SYNOPSIS  int pf_entry_vector(unsigned vector);
 * DESCRIPTION
 *   The int $N entry and its stubs use VECTOR from now on (0x81 by
 *   default). Any vector whose gate the kernel keeps for itself works: all
 *   but 3 (int3), 4 (overflow) and 0x80 (32-bit system calls). An int $N
 *   with any other vector is not pfipc's. Set it before the first INT stub
 *   is handed out: stubs are written once.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL VECTOR is above 0xff or the kernel's; -EBUSY INT stubs
 *         with another vector exist already.
 */
int pf_entry_vector(unsigned vector);

/* ------------------------------------------------------------------------ */
/* Errors of calls made through imports                                      */
/* ------------------------------------------------------------------------ */

/*
 * pf_errno - the error of the calling thread's last call through an import.
 *
 * SYNOPSIS  int pf_errno(void);
 * DESCRIPTION
 *   A call through an import is a plain C call and cannot return an error
 *   of its own: when it fails, its return registers are zero and the error
 *   is kept per thread, here. Every call through an import sets it, and so
 *   do pf_import_create, pf_export and pf_export_buffers (which also
 *   return it) on a thread that belongs to a process.
 * RETURN VALUE  0 if the thread's last call through an import (or import,
 *   or export) succeeded, else the negative errno value it failed with.
 * ERRORS  None.
 */
int pf_errno(void);

/*
 * pf_error_message - what went wrong with the thread's last call, in words.
 *
 * SYNOPSIS  const char *pf_error_message(void);
 * DESCRIPTION
 *   A sentence about the calling thread's last failed call through an
 *   import, naming the processes and the import involved (for -EDEADLK,
 *   the cycle of waits), or about its last failed pf_import_create,
 *   pf_export or pf_export_buffers: a name exported by another process
 *   names that process, a name nobody exports the closest exported names
 *   ("did you mean math.add?"). The same for an instruction that accessed
 *   a window (which access failed, and why) and for a failed
 *   pf_window_create, pf_window_map, pf_port_create or pf_port_map.
 * RETURN VALUE  The sentence, or "" after a success. Valid until the
 *   thread's next call through an import, import or export.
 * ERRORS  None.
 */
const char *pf_error_message(void);

/*
 * pf_strerror - a short text for an error value.
 *
 * SYNOPSIS  const char *pf_strerror(int err);
 * DESCRIPTION
 *   ERR is 0 or one of the negative errno values listed in pfipc(7).
 * RETURN VALUE  A fixed string; "unknown error" for any other value. Never
 *   NULL.
 * ERRORS  None.
 */
const char *pf_strerror(int err);

/* ------------------------------------------------------------------------ */
/* Seeing what happens: traces and statistics                                */
/* ------------------------------------------------------------------------ */

/*
 * pf_trace_start - record every call into a trace file.
 *
 * SYNOPSIS  int pf_trace_start(const char *path);
 * DESCRIPTION
 *   From now on every call through an import is recorded, and PATH is
 *   written when pf_trace_flush or pf_trace_stop is called and when the
 *   program exits (atexit). PATH is created (emptied) at once. Setting
 *   PFIPC_TRACE=PATH in the environment does the same at pf_init.
 *   The file is a Chrome trace-event JSON file, as Perfetto
 *   (ui.perfetto.dev) and chrome://tracing open it. Each simulated process
 *   is a process in it (pid: its index + 1, named with process_name
 *   metadata; pid 0 is the idle task to Perfetto), each of its threads a
 *   thread (tid: the Linux thread id). Per call:
 *     - the caller's thread has a slice "call NS.FN" from the fault until
 *       the call returns (an asynchronous or one-way call: "async NS.FN" or
 *       "oneway NS.FN", until it was sent);
 *     - the thread that ran it has a slice "NS.FN" (a migrating export's
 *       runs on the caller's thread, inside its call slice), and the time
 *       the call waited in the callee's queue is an async slice "queued
 *       NS.FN" of the callee;
 *     - a flow arrow (bind_id = the call's id) joins the caller's slice to
 *       the server's, and for an asynchronous call goes on to the "pf_wait"
 *       slice that collected it;
 *     - args name the other process, the entry ("gate", "slot"), the
 *       error and pf_error_message().
 *   Also recorded: timeouts and crashes (instants on the thread), calls
 *   refused by deadlock detection (an empty slice "deadlock"), a wait that
 *   a crash cut short (its slice ends at the crash), restarts (a slice
 *   "restart" around the init that ran again) and death notices (process
 *   instants "died: crashed", "died: stopped").
 *   Slices nest on every thread. Events are recorded into buffers
 *   preallocated per thread (never in the fault handler); each holds
 *   PFIPC_TRACE_EVENTS events (64 bytes each; default 65536; read at each
 *   pf_trace_start, a thread's buffer keeps the size it was made with,
 *   and is emptied when a new trace starts). Events that
 *   do not fit are dropped and counted: the file's otherData says how many
 *   ("pfipc_dropped_events", and per thread in its thread_name args) and
 *   one line on stderr says so. Calls under way when tracing starts are
 *   left out. A program killed by a signal writes nothing past its last
 *   pf_trace_flush.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL PATH is NULL or empty; -EBUSY a trace is already being
 *         recorded; -ENOMEM; any error of creating PATH (-EACCES, -ENOENT,
 *         ...).
 */
int pf_trace_start(const char *path);

/*
 * pf_trace_flush - write the trace recorded so far.
 *
 * SYNOPSIS  int pf_trace_flush(void);
 * DESCRIPTION  Writes everything recorded since pf_trace_start to its PATH
 *   (emptied first; PATH may also be a pipe or a terminal), and goes on
 *   recording. Calls still under way are not in it yet.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL no trace is being recorded; -ENOMEM; any error of
 *         writing the file (-ENOSPC, -EIO, ...).
 */
int pf_trace_flush(void);

/*
 * pf_trace_stop - stop recording and write the trace.
 *
 * SYNOPSIS  int pf_trace_stop(void);
 * DESCRIPTION  Stops recording, then writes the file as pf_trace_flush
 *   does. A later pf_trace_start begins a new trace.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  as pf_trace_flush (the recording has stopped even then).
 */
int pf_trace_stop(void);

/* Buckets of a pf_stats histogram, and the error codes counted apart. */
#define PF_STATS_BUCKETS 40u
#define PF_STATS_ERRNOS  134u

/* What pfipc counted for one export, or for one entry mechanism. Times are
 * log2 histograms: bucket b counts times t with 2^b <= t < 2^(b+1) ns
 * (bucket 0 also counts t < 1 ns; the last bucket everything longer). A
 * percentile is the upper end of the bucket it falls in: at most twice
 * the true value. */
typedef struct pf_stats {
	char name[128];       /* "ns.fn", or the entry: "gate", "slot" */
	uint64_t calls;       /* calls whose outcome is known */
	uint64_t errors;      /* of which failed */
	uint64_t by_errno[PF_STATS_ERRNOS]; /* failed calls by errno value:
					       by_errno[EOWNERDEAD]; [0]: any
					       other value */
	uint64_t served;      /* calls that ran (also those that crashed) */
	uint64_t queued;      /* of which had waited in the callee's queue
				 (a migrating call never does) */
	uint64_t queued_ns[PF_STATS_BUCKETS];  /* time in the queue */
	uint64_t served_ns[PF_STATS_BUCKETS];  /* time running */
	uint64_t queued_total_ns, served_total_ns;
	uint64_t queued_p50_ns, queued_p99_ns;
	uint64_t served_p50_ns, served_p99_ns;
} pf_stats;

/*
 * pf_stats_enable - start or stop counting statistics.
 *
 * SYNOPSIS  int pf_stats_enable(int on);
 * DESCRIPTION
 *   While on, every call through an import is counted under its export
 *   and under the entry it came in by: a synchronous call when its caller
 *   has its outcome, an asynchronous or one-way call when it completes
 *   (or when sending it failed); the time a call waited in the callee's
 *   queue and the time it ran, when it ran. Calls under way when counting
 *   starts are left out. Turning it off keeps what was counted
 *   (pf_stats_reset clears it). PFIPC_STATS=1 in the environment turns it
 *   on at pf_init and prints pf_stats_print's table to stderr at exit.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -ENOMEM the tables could not be mapped.
 */
int pf_stats_enable(int on);

/*
 * pf_stats_get - what was counted for one export.
 *
 * SYNOPSIS  int pf_stats_get(const char *name, pf_stats *out);
 * DESCRIPTION  Fills OUT with the counts of export NAME ("ns.fn"), as of
 *   now (other threads may be adding to them).
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL NAME or OUT is NULL; -ENOENT nothing was counted for
 *         NAME.
 */
int pf_stats_get(const char *name, pf_stats *out);

/*
 * pf_stats_get_entry - what was counted for one entry mechanism.
 *
 * SYNOPSIS  int pf_stats_get_entry(const char *entry, pf_stats *out);
 * DESCRIPTION  As pf_stats_get, over every call that came in by ENTRY:
 *   "gate" (a call to a gate address) or "slot" (a call or jump through a
 *   slot), "trap", "ud2", "int", "syscall", "int80", or "window" and
 *   "port" (each access to a window or a port range is one).
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL ENTRY or OUT is NULL; -ENOENT nothing was counted for
 *         ENTRY.
 */
int pf_stats_get_entry(const char *entry, pf_stats *out);

/*
 * pf_stats_next - walk the exports that have counts.
 *
 * SYNOPSIS  int pf_stats_next(unsigned *cursor, pf_stats *out);
 * DESCRIPTION  Set *CURSOR to 0, then call until it fails: each call
 *   fills OUT with the next export that has counts and moves *CURSOR on.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL CURSOR or OUT is NULL; -ENOENT no more exports.
 */
int pf_stats_next(unsigned *cursor, pf_stats *out);

/*
 * pf_stats_reset - forget every count.
 *
 * SYNOPSIS  int pf_stats_reset(void);
 * DESCRIPTION  Sets every counter to zero (counting goes on if it is on;
 *   calls counted meanwhile may be half counted).
 * RETURN VALUE  0.
 * ERRORS  None.
 */
int pf_stats_reset(void);

/* What pfipc counted for one window or port range, beside its calls'
 * statistics (pf_stats_get with the window's name counts each access as
 * one call). Counted by the accessing threads. */
typedef struct pf_window_stats {
	char name[128];          /* the window's name */
	uint64_t instructions;   /* instructions that accessed it (a rep movs
				    of many elements is one) */
	uint64_t reads, writes, updates; /* accesses by kind (an update is an
					    atomic read-step-write) */
	uint64_t posted;         /* of the writes, posted (PF_WINDOW_POSTED) */
	uint64_t read_bytes, written_bytes; /* by the accesses that succeeded */
	uint64_t failed;         /* accesses that failed: a load yielded all
				    ones, a store was dropped */
	uint64_t by_width[6];    /* accesses of 1, 2, 4, 8, 16, 32 bytes */
} pf_window_stats;

/*
 * pf_stats_get_window - what was counted for one window.
 *
 * SYNOPSIS  int pf_stats_get_window(const char *name, pf_window_stats *out);
 * DESCRIPTION  Fills OUT with the counts of window or port range NAME
 *   while statistics were on (pf_stats_enable), as of now.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL NAME or OUT is NULL; -ENOENT nothing was counted for
 *         NAME.
 */
int pf_stats_get_window(const char *name, pf_window_stats *out);

/*
 * pf_stats_print - write a table of the counts.
 *
 * SYNOPSIS  int pf_stats_print(int fd);
 * DESCRIPTION  Writes one line per export with counts and one per entry
 *   mechanism: calls, errors (by code), and the p50 and p99 of the time
 *   queued and the time served; then one line per window with counts:
 *   instructions, accesses by kind, bytes and failures.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EBADF and any other error of write(2) on FD.
 */
int pf_stats_print(int fd);

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * pf_version - the version of the library the program runs with.
 *
 * SYNOPSIS
 *   const char *pf_version(unsigned *major, unsigned *minor,
 *                          unsigned *patch);
 * DESCRIPTION
 *   Stores the library's version numbers in *MAJOR, *MINOR and *PATCH
 *   (each pointer may be NULL). A program compares them with the
 *   PFIPC_VERSION_MAJOR and PFIPC_VERSION_MINOR it was compiled with to
 *   tell whether the shared library it was loaded with is older than its
 *   headers.
 * RETURN VALUE  The version as a string, "MAJOR.MINOR.PATCH" (the same as
 *   PFIPC_VERSION_STRING when headers and library match).
 * ERRORS  None.
 */
const char *pf_version(unsigned *major, unsigned *minor, unsigned *patch);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* PFIPC_H */
