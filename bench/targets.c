/*
 * targets.c — the targets a run is held to, each with this run's value and
 * verdict. The table under pfbench's output and the JSON's "targets" are
 * made from here.
 *
 * Most targets are rows of TARGETS: a ratio of medians (taken round by
 * round, stats.c) or a tail (p99 over p50 of one case), a limit, and the
 * load the target is stated for. A run with another load still shows the
 * value, with the verdict "n/a". A call through each entry mechanism is
 * held to that entry's own bare floor: one line in ENTRY_FLOORS per entry.
 * The few targets that are not one ratio (the worst of several cases, the
 * decode cache's cost) are computed in code below them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define ANY_LOAD -1

enum target_kind {
	T_RATIO, /* NAME / (REF_A + REF_B), REF_B may be NULL */
	T_TAIL,  /* p99 / p50 of NAME */
};

struct target_def {
	const char *issue;
	const char *what;
	enum target_kind kind;
	const char *name, *ref_a, *ref_b;
	const char *op; /* "<=" or ">=" */
	double limit;
	int load; /* the --load it is stated for, or ANY_LOAD */
	const char *also; /* another case whose same figure the detail shows */
};

/* Issue 10, part 3: the hand-off at the floor, also on a busy machine. The
 * message-passing call is the gate shape (one fault, no decode); the slot
 * shape's figure is shown beside it. */
static const struct target_def TARGETS[] = {
	{ "10", "msg call <= 1.10 x (sigsegv + spin_pp), quiet", T_RATIO,
	  "pf_gate", "sigsegv", "spin_pp", "<=", 1.10, 0, "pf_slot" },
	{ "10", "msg call <= 1.25 x (sigsegv + spin_pp), --load 2", T_RATIO,
	  "pf_gate", "sigsegv", "spin_pp", "<=", 1.25, 2, "pf_slot" },
	{ "10", "migrating call <= 1.05 x sigsegv", T_RATIO,
	  "pf_mig", "sigsegv", NULL, "<=", 1.05, ANY_LOAD, "pf_mig_slot" },
	{ "10", "msg call p99 <= 3 x p50, quiet", T_TAIL,
	  "pf_gate", NULL, NULL, "<=", 3.0, 0, "pf_slot" },
};

/*
 * A call through each entry, migrating (so that the entry is all there is
 * besides the call), against the same entry's bare signal round trip:
 * "call <= ENTRY_LIMIT x floor". Adding an entry mechanism is one line.
 */
#define ENTRY_LIMIT 1.10

struct entry_floor {
	const char *call;  /* the pf case through the entry, migrating */
	const char *floor; /* the bare round trip of the same entry */
};

static const struct entry_floor ENTRY_FLOORS[] = {
	{ "pf_mig", "sigsegv" },      /* gate: a fetch fault at the gate */
	{ "pf_mig_slot", "sigsegv" }, /* slot: the CALL's read faults */
	{ "pf_trap_mig", "floor_int3" },        /* int3 stub: SIGTRAP */
	{ "pf_ud2_mig", "floor_ud2" },          /* ud2 stub: SIGILL */
	{ "pf_int_mig", "floor_int" },          /* int $0x81: #GP, SIGSEGV */
	{ "pf_syscall_mig", "floor_syscall" },  /* syscall: SUD, SIGSYS */
	{ "pf_int80_mig", "floor_int80" },      /* int $0x80: SUD, SIGSYS */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The latency pass's figures of NAME, or NULL. */
static const struct bench_latency *lat_of(const struct case_list *l,
					  const char *name)
{
	const struct bench_case *c = name ? case_find(l, name) : NULL;

	return c && !c->skipped && c->lat.samples ? &c->lat : NULL;
}

/* p99 / p50 of NAME, or NAN. */
static double tail_of(const struct case_list *l, const char *name)
{
	const struct bench_latency *x = lat_of(l, name);

	return x ? x->p99_ns / x->p50_ns : NAN;
}

/* NAME's p50 / (A's p50 + B's p50), or NAN. A median of batch means counts
 * every stall inside a batch; under load a spin ping-pong stalls whenever
 * either thread is preempted, so its median stops being a floor. The p50s
 * show the uninterrupted figures side by side. */
static double p50_ratio(const struct case_list *l, const char *name,
			const char *a, const char *b)
{
	const struct bench_latency *x = lat_of(l, name), *ra = lat_of(l, a);
	const struct bench_latency *rb = b ? lat_of(l, b) : NULL;

	if (!x || !ra || (b && !rb))
		return NAN;
	return x->p50_ns / (ra->p50_ns + (rb ? rb->p50_ns : 0));
}

static double value_of(const struct case_list *l, enum target_kind kind,
		       const char *name, const char *a, const char *b)
{
	if (kind == T_TAIL)
		return tail_of(l, name);
	return paired_ratio(l, name, a, b, false);
}

static void fill_def(struct target *t, const struct target_def *d,
		     const struct case_list *l, const struct run_info *ri)
{
	double also;

	*t = (struct target){ .issue = d->issue, .what = d->what,
			      .op = d->op, .limit = d->limit,
			      .load = d->load, .detail = "" };
	t->value = value_of(l, d->kind, d->name, d->ref_a, d->ref_b);
	t->applies = d->load == ANY_LOAD || (unsigned)d->load == ri->load;
	if (d->kind == T_TAIL) {
		const struct bench_case *c = case_find(l, d->name);

		if (c && !c->skipped && c->lat.samples)
			snprintf(t->detail, sizeof(t->detail),
				 "%s: p50 %.0f ns, p99 %.0f ns", d->name,
				 c->lat.p50_ns, c->lat.p99_ns);
	} else {
		snprintf(t->detail, sizeof(t->detail), "%s; p50s %.2f",
			 d->name, p50_ratio(l, d->name, d->ref_a, d->ref_b));
	}
	also = d->also ? value_of(l, d->kind, d->also, d->ref_a, d->ref_b)
		       : NAN;
	if (!isnan(also)) {
		size_t n = strlen(t->detail);

		snprintf(t->detail + n, sizeof(t->detail) - n, "%s%s %.2f",
			 n ? "; " : "", d->also, also);
	}
}

/* -------------------------------------------------------- kept from 3 */

/* Issue 3's targets that issue 10 did not replace: pipe and socketpair
 * against every synchronous mode, the decode cache's cost, two callers. */
static unsigned issue3_targets(const struct case_list *l, struct target *t,
			       unsigned cap)
{
	static const char *const modes[] = { "pf_slot", "pf_movcall",
					     "pf_gate", "pf_mig",
					     "pf_mig_slot", "pf_mig_movcall" };
	static const char *const shapes[] = { "pf_slot", "pf_movcall",
					      "pf_gate", "pf_mig_slot",
					      "pf_mig_movcall" };
	unsigned n = 0;
	double worst = NAN;
	const char *worst_name = "-";

	for (unsigned i = 0; i < COUNT(modes); i++) {
		double x = fmin(paired_ratio(l, modes[i], "pipe_pp", NULL, true),
				paired_ratio(l, modes[i], "socketpair_pp", NULL,
					     true));

		if (!isnan(x) && (isnan(worst) || x < worst))
			worst = x, worst_name = modes[i];
	}
	if (n < cap) {
		t[n] = (struct target){ .issue = "3",
			.what = "pipe, socketpair >= 3 x every pf sync mode",
			.value = worst, .limit = 3.0, .op = ">=",
			.load = ANY_LOAD, .applies = true };
		snprintf(t[n].detail, sizeof(t[n].detail), "worst: %s",
			 worst_name);
		n++;
	}
	for (unsigned i = 0; i < COUNT(shapes) && n < cap; i++) {
		char miss[32], hit[32];

		/* Both measured in a child: see pf_cases.c. */
		snprintf(hit, sizeof(hit), "%s_child", shapes[i]);
		snprintf(miss, sizeof(miss), "%s_miss", shapes[i]);
		t[n] = (struct target){ .issue = "3",
			.what = "decode cache miss - hit (ns)",
			.value = median_of(l, miss) - median_of(l, hit),
			.op = "info", .load = ANY_LOAD, .applies = true };
		snprintf(t[n].detail, sizeof(t[n].detail),
			 "%s: hit %.0f ns, miss %.0f ns", shapes[i],
			 median_of(l, hit), median_of(l, miss));
		n++;
	}
	if (n < cap) {
		double re = paired_ratio(l, "pf_tp_re_2", "pf_tp_re_1", NULL,
					 true);
		double mig = paired_ratio(l, "pf_tp_mig_2", "pf_tp_mig_1",
					  NULL, true);

		t[n] = (struct target){ .issue = "3",
			.what = "2 callers >= 1.6 x 1 caller (re or mig, best)",
			.value = fmax(re, mig), .limit = 1.6, .op = ">=",
			.load = ANY_LOAD, .applies = true };
		/* Two threads faulting at once are the ceiling for migrating
		 * calls: print it beside them. */
		snprintf(t[n].detail, sizeof(t[n].detail),
			 "reentrant %.2fx, migrating %.2fx, plain %.2fx; "
			 "bare SIGSEGV %.2fx", re, mig,
			 paired_ratio(l, "pf_tp_msg_2", "pf_tp_msg_1", NULL,
				      true),
			 paired_ratio(l, "sigsegv_2t", "sigsegv", NULL, true));
		n++;
	}
	return n;
}

/* ------------------------------------------------------------ all */

unsigned targets_of(const struct case_list *l, const struct run_info *ri,
		    struct target *t, unsigned cap)
{
	unsigned n = 0;

	for (unsigned i = 0; i < COUNT(TARGETS) && n < cap; i++)
		fill_def(&t[n++], &TARGETS[i], l, ri);
	for (unsigned i = 0; i < COUNT(ENTRY_FLOORS) && n < cap; i++) {
		const struct entry_floor *e = &ENTRY_FLOORS[i];
		struct target *x = &t[n++];

		*x = (struct target){ .issue = "10", .op = "<=",
				      .limit = ENTRY_LIMIT, .load = ANY_LOAD,
				      .applies = true };
		snprintf(x->what_buf, sizeof(x->what_buf),
			 "entry: %s <= %.2f x %s", e->call, ENTRY_LIMIT,
			 e->floor);
		x->what = x->what_buf;
		x->value = paired_ratio(l, e->call, e->floor, NULL, false);
	}
	return n + issue3_targets(l, t + n, cap - n);
}

const char *target_verdict(const struct target *t)
{
	if (isnan(t->value) || !t->applies)
		return "n/a";
	if (strcmp(t->op, "<=") == 0)
		return t->value <= t->limit ? "met" : "MISSED";
	if (strcmp(t->op, ">=") == 0)
		return t->value >= t->limit ? "met" : "MISSED";
	return "info";
}
