/* Every fixed size in the library, in one place.
 *
 * pfipc preallocates what the fault handler touches (it may not allocate),
 * and never reuses a process record or an export entry (imports keep
 * pointing at them), so its tables have fixed sizes. The README's
 * Limitations section lists the ones a user can run into. */
#ifndef PF_LIMITS_H
#define PF_LIMITS_H

#include "pfipc.h"   /* PF_MAX_STACK_BYTES, PF_MAX_BUFFER_PARAMS: public */

/* Processes over the life of the program: records are never reused. */
#define LIMIT_PROCESSES        1024u
/* Imports (slots and gates) per process. */
#define LIMIT_IMPORTS          256u
/* Threads of one process (bits of a 64-bit idle mask). */
#define LIMIT_PROCESS_THREADS  64u
/* Death-notification watchers per process. */
#define LIMIT_WATCHERS         16u
/* Bytes of a process name, with its NUL. */
#define LIMIT_PROCESS_NAME     32u

/* Nested calls on one thread; the last level is kept to report "too
 * deep" through, so a thread nests at most LIMIT_DEPTH - 1 calls. */
#define LIMIT_DEPTH            32u
/* Bytes of pf_error_message(), with its NUL. */
#define LIMIT_ERROR_MESSAGE    256u
/* Bytes of a message's failure detail (a deadlock cycle, a crash). */
#define LIMIT_DETAIL           192u
/* Hops deadlock detection follows before it gives up. */
#define LIMIT_DEADLOCK_HOPS    32u

/* Export names ("ns.fn") ever made, namespaces, and a name's bytes. */
#define LIMIT_EXPORT_NAMES     4096u
#define LIMIT_NAMESPACES       1024u
#define LIMIT_NAME_PART        63u
#define LIMIT_EXPORT_NAME      128u

/* Asynchronous calls in flight: the ticket table has twice as many slots
 * so that its probes stay short. */
#define LIMIT_TICKET_SLOTS     (1u << 16)
#define LIMIT_TICKETS          (LIMIT_TICKET_SLOTS / 2)

/* Handles in one server's table (bits of a handle's index). */
#define LIMIT_HANDLE_INDEX_BITS 20u

/* The decode cache: entries (a power of two) and probes per look-up. */
#define LIMIT_DECODE_CACHE     4096u
#define LIMIT_DECODE_PROBES    8u

/* Stack a call needs left below the caller's stack pointer: pfipc's own
 * frames between the fault and the callee (await, submit, wait, serve)
 * fit in it. A call made closer to the end of the stack is a stack
 * overflow of the process making it. */
#define LIMIT_CALL_HEADROOM    (16u * 1024u)

/* Each thread's alternate signal stack: the handler plus Capstone, and a
 * crash report after a stack overflow in a simulated process. */
#define LIMIT_ALTSTACK_BYTES   (128u * 1024u)

/* Tracing: events one thread's trace buffer holds unless PFIPC_TRACE_EVENTS
 * says otherwise (64 bytes each, mapped on the thread's first event and
 * committed only as they fill); past it, events are counted as dropped. */
#define LIMIT_TRACE_EVENTS     (1u << 16)
/* Statistics: entry mechanisms ("gate", "slot", ...) counted apart. */
#define LIMIT_STATS_ENTRIES    16u

/* Windows (ident/windows.c): mappings of memory windows one process may
 * hold at once, and the most pages one window may have (each mapping has
 * that much address space in the arena's window area, reserved at the
 * first pf_window_map: LIMIT_PROCESSES x LIMIT_WINDOW_MAPS x
 * LIMIT_WINDOW_PAGES pages, PROT_NONE); and port ranges one process may
 * map. */
#define LIMIT_WINDOW_MAPS      16u
#define LIMIT_WINDOW_PAGES     256u
#define LIMIT_PORT_MAPS        16u
/* The largest signal-frame FPU state a window access copies (its XSAVE
 * area, AVX-512 included, is about 2.7 KiB; AMX tiles would take 11 KiB).
 * A thread whose frame holds more cannot access windows. */
#define LIMIT_RESTORE_XSTATE   (12u * 1024u)

#endif
