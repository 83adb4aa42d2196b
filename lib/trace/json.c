/* One JSON object: {"displayTimeUnit", "otherData", "traceEvents"}.
 *
 * Records were made when their slices ended, so the writer sorts events by
 * start time (a longer slice first on a tie), which puts every parent
 * before its children. Times are microseconds with three decimals,
 * counted from pf_trace_start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proc/process.h"
#include "proc/thread.h"
#include "trace/buffer.h"
#include "trace/clock.h"
#include "trace/errname.h"
#include "trace/json.h"

/* A process index as a trace pid: Perfetto keeps pid 0 for the idle task. */
#define PID_OF(proc) ((proc) == TRACE_NO_PROC ? LIMIT_PROCESSES + 1u : (proc) + 1u)

enum part { WHOLE, QUEUE_BEGIN, QUEUE_END };

struct ev {
	uint64_t ts, dur;             /* ns since the origin */
	uint32_t seq;                 /* order of collection: ties stay put */
	uint8_t part;                 /* enum part */
	const struct trace_buf *b;
	const struct trace_rec *r;
};

struct thread_key {
	uint32_t pid;
	pid_t tid;
	bool on_thread;               /* not a process-wide event */
	const struct trace_buf *b;
};

struct writer {
	FILE *f;
	uint64_t origin;
	double rate;
	bool first;
};

static uint64_t ns_of(const struct writer *w, uint64_t t)
{
	return t > w->origin ? (uint64_t)((double)(t - w->origin) * w->rate) : 0;
}

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_us(FILE *f, uint64_t ns)
{
	fprintf(f, "%llu.%03llu", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

static const char *process_name(uint32_t proc)
{
	struct pf_process *p = proc == TRACE_NO_PROC ? NULL : process_by_index(proc);
	return p ? p->name : "(no process)";
}

static const char *role_name(int role)
{
	switch (role) {
	case ROLE_SERVER:   return "server";
	case ROLE_JOINED:   return "main";
	case ROLE_ATTACHED: return "attached";
	default:            return "thread";
	}
}

static void begin_event(struct writer *w)
{
	fputs(w->first ? "\n" : ",\n", w->f);
	w->first = false;
}

/* ---- collecting ------------------------------------------------------------ */

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->dur != y->dur)
		return x->dur > y->dur ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool is_slice(uint8_t kind)
{
	return kind == TR_WAIT || kind == TR_SUBMIT || kind == TR_SERVE || kind == TR_REFUSED ||
	       kind == TR_UNWOUND || kind == TR_COLLECT || kind == TR_RESTART;
}

/* Every published record of the current recording, as events. */
static struct ev *collect(const struct writer *w, size_t *n_out, uint64_t *dropped)
{
	uint64_t epoch = trace_buf_epoch();
	size_t n = 0, cap = 0;
	struct ev *v = NULL;
	*dropped = 0;
	for (struct trace_buf *b = trace_buf_list(); b; b = b->next) {
		if (atomic_load_explicit(&b->epoch, memory_order_acquire) != epoch)
			continue;
		uint32_t count = atomic_load_explicit(&b->count, memory_order_acquire);
		*dropped += atomic_load_explicit(&b->dropped, memory_order_relaxed);
		for (uint32_t i = 0; i < count; i += 1u + b->rec[i].ntext) {
			const struct trace_rec *r = &b->rec[i];
			if (n + 3 > cap) {
				size_t ncap = cap ? cap * 2 : 4096;
				struct ev *nv = realloc(v, ncap * sizeof *v);
				if (!nv) {
					free(v);
					return NULL;
				}
				v = nv;
				cap = ncap;
			}
			uint64_t t0 = ns_of(w, r->t0), t1 = ns_of(w, r->t1);
			v[n] = (struct ev){ t0, is_slice(r->kind) ? t1 - t0 : 0, (uint32_t)n, WHOLE, b, r };
			n++;
			if (r->kind == TR_SERVE && r->aux) {
				uint64_t q = ns_of(w, r->aux);
				v[n] = (struct ev){ q, 0, (uint32_t)n, QUEUE_BEGIN, b, r };
				n++;
				v[n] = (struct ev){ t0, 0, (uint32_t)n, QUEUE_END, b, r };
				n++;
			}
		}
	}
	if (!v && !(v = malloc(sizeof *v)))
		return NULL;
	qsort(v, n, sizeof *v, ev_cmp);
	*n_out = n;
	return v;
}

/* ---- metadata -------------------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
	const struct thread_key *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* process_name and process_sort_index for every process, thread_name for
 * every thread that has events (with what its buffer dropped). */
static int put_metadata(struct writer *w, const struct ev *v, size_t n)
{
	struct thread_key *k = malloc((n ? n : 1) * sizeof *k);
	if (!k)
		return -ENOMEM;
	size_t nk = 0;
	for (size_t i = 0; i < n; i++)
		k[nk++] = (struct thread_key){ PID_OF(v[i].r->proc), v[i].b->tid,
					       v[i].r->kind != TR_DIED, v[i].b };
	qsort(k, nk, sizeof *k, key_cmp);
	for (size_t i = 0; i < nk; i++) {
		bool new_pid = i == 0 || k[i].pid != k[i - 1].pid;
		bool last_of_tid = i + 1 == nk || k[i + 1].pid != k[i].pid || k[i + 1].tid != k[i].tid;
		/* Any event of the thread on its own track names it. */
		if (!new_pid && k[i].tid == k[i - 1].tid)
			k[i].on_thread |= k[i - 1].on_thread;
		uint32_t proc = k[i].pid == LIMIT_PROCESSES + 1u ? TRACE_NO_PROC : k[i].pid - 1;
		if (new_pid) {
			begin_event(w);
			fprintf(w->f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"args\":{\"name\":",
				k[i].pid);
			put_str(w->f, process_name(proc));
			fputs("}}", w->f);
			begin_event(w);
			fprintf(w->f, "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%u,"
				"\"args\":{\"sort_index\":%u}}", k[i].pid, k[i].pid);
		}
		if (last_of_tid && k[i].on_thread) {
			begin_event(w);
			fprintf(w->f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%d,"
				"\"args\":{\"name\":\"%s\",\"pfipc_dropped_events\":%llu}}",
				k[i].pid, (int)k[i].tid, role_name(k[i].b->role),
				(unsigned long long)atomic_load(&k[i].b->dropped));
		}
	}
	free(k);
	return 0;
}

/* ---- events ------------------------------------------------------------------ */

static const char *text_of(const struct trace_rec *r)
{
	return r->ntext ? (const char *)(r + 1) : NULL;
}

static void put_arg_str(FILE *f, const char *key, const char *value)
{
	fprintf(f, ",\"%s\":", key);
	put_str(f, value);
}

static void put_error(FILE *f, int err, const char *message)
{
	if (!err)
		return;
	const char *name = trace_errno_name(err);
	if (name)
		put_arg_str(f, "error", name);
	else
		fprintf(f, ",\"error\":%d", err);
	if (message)
		put_arg_str(f, "message", message);
}

static const char *kind_word(const struct trace_rec *r)
{
	return r->call_kind == MSG_ASYNC ? "async" : r->call_kind == MSG_ONEWAY ? "oneway" : "call";
}

/* "name":"...","cat":"...", for a call's slice. */
static void put_call_name(FILE *f, const char *prefix, const char *name, const char *cat)
{
	fputs("\"name\":\"", f);
	if (prefix)
		fprintf(f, "%s ", prefix);
	fputs(name ? name : "?", f);   /* export names are [A-Za-z0-9_.] */
	fprintf(f, "\",\"cat\":\"%s\"", cat);
}

static void put_flow(FILE *f, uint64_t id, bool in, bool out)
{
	if (!id)
		return;
	fprintf(f, ",\"bind_id\":%llu", (unsigned long long)id);
	if (in)
		fputs(",\"flow_in\":true", f);
	if (out)
		fputs(",\"flow_out\":true", f);
}

static void put_call_args(FILE *f, const struct trace_rec *r, const char *peer_key)
{
	fprintf(f, ",\"args\":{\"call\":%llu", (unsigned long long)r->id);
	if (r->name)
		put_arg_str(f, "export", r->name);
	if (r->peer != TRACE_NO_PROC)
		put_arg_str(f, peer_key, process_name(r->peer));
	if (r->via)
		put_arg_str(f, "entry", r->via);
}

static void put_event(struct writer *w, const struct ev *e)
{
	const struct trace_rec *r = e->r;
	FILE *f = w->f;
	uint32_t pid = PID_OF(r->proc);
	begin_event(w);
	if (e->part != WHOLE) {
		fprintf(f, "{\"ph\":\"%c\",", e->part == QUEUE_BEGIN ? 'b' : 'e');
		put_call_name(f, "queued", r->name, "queue");
		fprintf(f, ",\"id\":\"0x%llx\",\"pid\":%u,\"tid\":%d,\"ts\":",
			(unsigned long long)r->id, pid, (int)e->b->tid);
		put_us(f, e->ts);
		fputc('}', f);
		return;
	}
	if (r->kind == TR_DIED) {
		fprintf(f, "{\"ph\":\"i\",\"s\":\"p\",\"name\":\"died: %s\",\"cat\":\"process\","
			"\"pid\":%u,\"ts\":", r->err == PF_DIED_CRASHED ? "crashed" : "stopped", pid);
		put_us(f, e->ts);
		fputc('}', f);
		return;
	}
	bool slice = is_slice(r->kind);
	fprintf(f, "{\"ph\":\"%s\",", slice ? "X" : "i\",\"s\":\"t");
	switch (r->kind) {
	case TR_WAIT:
	case TR_UNWOUND:
		/* A call that found nobody to serve it has nowhere to point. */
		put_call_name(f, "call", r->name, "call");
		put_flow(f, r->peer == TRACE_NO_PROC ? 0 : r->id, false, true);
		break;
	case TR_SUBMIT:
		put_call_name(f, kind_word(r), r->name, "call");
		put_flow(f, r->peer == TRACE_NO_PROC ? 0 : r->id, false, true);
		break;
	case TR_SERVE:
		put_call_name(f, NULL, r->name, "serve");
		put_flow(f, r->id, true, r->call_kind == MSG_ASYNC);
		break;
	case TR_REFUSED:
		fprintf(f, "\"name\":\"%s\",\"cat\":\"serve\"", r->err == -EDEADLK ? "deadlock" : "refused");
		put_flow(f, r->id, true, false);
		break;
	case TR_COLLECT:
		fputs("\"name\":\"pf_wait\",\"cat\":\"call\"", f);
		put_flow(f, r->id, true, false);
		break;
	case TR_TIMEOUT:
		fputs("\"name\":\"timeout\",\"cat\":\"call\"", f);
		break;
	case TR_CRASH:
		fputs("\"name\":\"crash\",\"cat\":\"process\"", f);
		break;
	case TR_RESTART:
		fputs("\"name\":\"restart\",\"cat\":\"process\"", f);
		break;
	}
	fprintf(f, ",\"pid\":%u,\"tid\":%d,\"ts\":", pid, (int)e->b->tid);
	put_us(f, e->ts);
	if (slice) {
		fputs(",\"dur\":", f);
		put_us(f, e->dur);
	}
	switch (r->kind) {
	case TR_WAIT:
	case TR_SUBMIT:
	case TR_COLLECT:
		put_call_args(f, r, "callee");
		if (r->aux)
			fprintf(f, ",\"ticket\":%llu", (unsigned long long)r->aux);
		put_error(f, r->err, text_of(r));
		break;
	case TR_UNWOUND:
		put_call_args(f, r, "callee");
		put_arg_str(f, "unwound", "a crash on this thread ended the wait");
		break;
	case TR_SERVE:
	case TR_REFUSED:
		put_call_args(f, r, "caller");
		fprintf(f, ",\"kind\":\"%s\"", r->call_kind == MSG_SYNC ? "sync" : kind_word(r));
		if (r->aux)
			fprintf(f, ",\"queued_ns\":%llu",
				(unsigned long long)(e->ts - ns_of(w, r->aux)));
		if (r->flags & TRF_MIGRATED)
			fputs(",\"migrated\":true", f);
		put_error(f, r->err, text_of(r));
		break;
	case TR_TIMEOUT:
	case TR_CRASH:
		put_call_args(f, r, "caller");
		if (text_of(r))
			put_arg_str(f, "what", text_of(r));
		break;
	case TR_RESTART:
		fprintf(f, ",\"args\":{\"init_returned\":%d", r->err);
		break;
	}
	fputs("}}", f);
}

/* ---- the file ---------------------------------------------------------------- */

static int write_to(FILE *f, uint64_t origin, uint64_t *dropped)
{
	struct writer w = { f, origin, trace_clock_ns_per_tick_now(), true };
	size_t n;
	struct ev *v = collect(&w, &n, dropped);
	if (!v)
		return -ENOMEM;
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{", f);
	fprintf(f, "\"pfipc_dropped_events\":%llu,\"pfipc_clock\":\"%s\",\"pfipc_ns_per_tick\":%.9f},",
		(unsigned long long)*dropped, trace_clock_tsc ? "tsc" : "monotonic", w.rate);
	fputs("\"traceEvents\":[", f);
	int rc = put_metadata(&w, v, n);
	for (size_t i = 0; !rc && i < n; i++)
		put_event(&w, &v[i]);
	fputs("\n]}\n", f);
	free(v);
	return rc;
}

int trace_json_write(const char *path, uint64_t origin, uint64_t *dropped)
{
	/* Written in place, not beside and renamed: PATH may be a pipe or a
	 * terminal (/dev/stderr), or a link the user wants kept. */
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	int rc = write_to(f, origin, dropped);
	if (ferror(f) && !rc)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	return rc;
}
