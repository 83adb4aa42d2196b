/* Per-thread trace buffers: fixed records, written by their own thread
 * only and read by the writer while threads go on recording.
 *
 * A buffer is mapped the first time its thread records (normal context:
 * the fault handler never records), and kept after the thread exits, until
 * the program ends: the trace is written from every buffer. A record is
 * published by a release store of the buffer's count, so the writer, which
 * reads the count first, only ever reads finished records. A full buffer
 * drops what does not fit and counts it. A new recording (a new epoch)
 * empties every buffer the next time its thread records. */
#ifndef PF_TRACE_BUFFER_H
#define PF_TRACE_BUFFER_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

enum trace_kind {
	TR_WAIT = 1,   /* slice: a caller waited for its synchronous call */
	TR_SUBMIT,     /* slice: a caller sent an asynchronous or one-way call */
	TR_SERVE,      /* slice: a thread ran a call */
	TR_REFUSED,    /* slice (empty): a thread took a call and failed it
			  without running it (a deadlock) */
	TR_UNWOUND,    /* slice: a wait that a crash on its thread cut short */
	TR_COLLECT,    /* slice: pf_wait collected an asynchronous call */
	TR_TIMEOUT,    /* instant: a caller stopped waiting */
	TR_CRASH,      /* instant: an export crashed */
	TR_DIED,       /* instant, whole process: its death notice */
	TR_RESTART,    /* slice: a crashed process's init ran again */
	TR_TEXT,       /* not an event: text of the record before it */
};

#define TRACE_NO_PROC UINT32_MAX
#define TRF_MIGRATED  1u   /* served on the caller's own thread */

struct trace_rec {
	uint64_t t0, t1;     /* begin and end, trace clock; an instant: t0 == t1 */
	uint64_t id;         /* the call's id, which is also its flow's; 0: none */
	uint64_t aux;        /* SERVE: when it was queued (0: never);
				SUBMIT, COLLECT: the ticket */
	const char *name;    /* the export's name (entries are never freed) */
	const char *via;     /* the entry the call came in by, or NULL */
	uint8_t kind;        /* enum trace_kind */
	uint8_t call_kind;   /* enum msg_kind */
	uint8_t flags;       /* TRF_* */
	uint8_t ntext;       /* TR_TEXT records that follow this one */
	int32_t err;         /* 0 or a negative errno value; DIED: PF_DIED_*;
				RESTART: what init returned */
	uint32_t proc;       /* the process the record belongs to (index) */
	uint32_t peer;       /* the other process of a call, or TRACE_NO_PROC */
};
_Static_assert(sizeof(struct trace_rec) == 64, "a record is one cache line");

#define TRACE_TEXT_PER_REC sizeof(struct trace_rec)
#define TRACE_TEXT_RECS    4u   /* at most 256 bytes of text per event */

struct trace_buf {
	struct trace_buf *next;       /* every buffer ever made */
	pid_t tid;
	int role;                     /* enum thread_role, or -1 */
	_Atomic uint64_t epoch;       /* the recording its records belong to */
	_Atomic uint32_t count;       /* records published */
	uint32_t cap;
	_Atomic uint64_t dropped;     /* events that did not fit */
	struct trace_rec *rec;
};

/* The calling thread's buffer, emptied if it still holds an earlier
 * recording; made on first use with ROLE. NULL without memory. */
struct trace_buf *trace_buf_mine(int role);

/* Room for N records at the end of B, or NULL (one more dropped event). */
struct trace_rec *trace_buf_reserve(struct trace_buf *b, unsigned n);
/* The N records reserved last are complete: let the writer see them. */
void trace_buf_publish(struct trace_buf *b, unsigned n);

/* A new recording starts: buffers made from now on hold CAP records. */
void trace_buf_new_epoch(uint32_t cap);
uint64_t trace_buf_epoch(void);

/* The newest buffer; older ones follow through `next`. */
struct trace_buf *trace_buf_list(void);

#endif
