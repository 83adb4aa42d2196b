/*
 * report.c — the table on stdout and the same figures as JSON.
 *
 * Which figure is compared with which lives in RATIOS (shown beside each
 * case) so that what a ratio means can be read in one place; the targets
 * under the table come from targets.c. A ratio is the median, over rounds,
 * of that round's ratio (stats.c). For throughput cases it is calls/s over
 * calls/s, so "2.0x" means twice the throughput.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "bench.h"

/* --------------------------------------------------------------- ratios */

struct ratio_def {
	const char *name;   /* the case the ratio is shown for */
	const char *ref_a;  /* divided by this case's median ... */
	const char *ref_b;  /* ... plus this one's, when not NULL */
	const char *label;  /* how the table names the reference */
	bool speed;         /* throughput: ref median / this median */
};

static const struct ratio_def RATIOS[] = {
	{ "sigsegv_2t", "sigsegv", NULL, "1 thread", true },
	{ "int3", "sigsegv", NULL, "sigsegv", false },
	{ "getpid", "sigsegv", NULL, "sigsegv", false },
	{ "pipe_pp", "futex_pp", NULL, "futex", false },
	{ "socketpair_pp", "futex_pp", NULL, "futex", false },
	{ "condvar_rr", "futex_pp", NULL, "futex", false },
#define PF_SYNC(n)                                                         \
	{ n, "sigsegv", "spin_pp", "segv+spin", false },                    \
	{ n, "pipe_pp", NULL, "pipe", false },                              \
	{ n, "socketpair_pp", NULL, "sockpair", false }
	PF_SYNC("pf_slot"),
	PF_SYNC("pf_movcall"),
	PF_SYNC("pf_gate"),
#undef PF_SYNC
	{ "pf_args10", "pf_gate", NULL, "pf_gate", false },
	{ "pf_mig", "sigsegv", NULL, "sigsegv", false },
	{ "pf_mig", "pipe_pp", NULL, "pipe", false },
	{ "pf_mig", "socketpair_pp", NULL, "sockpair", false },
	{ "pf_mig_slot", "sigsegv", NULL, "sigsegv", false },
	{ "pf_mig_movcall", "sigsegv", NULL, "sigsegv", false },
	{ "pf_gate_trace", "pf_gate", NULL, "off", false },
	{ "pf_gate_stats", "pf_gate", NULL, "off", false },
	{ "pf_mig_trace", "pf_mig", NULL, "off", false },
	{ "pf_mig_stats", "pf_mig", NULL, "off", false },
#define DECODE(n)                                                           \
	{ n "_child", n, NULL, "in-process", false },                       \
	{ n "_miss", n "_child", NULL, "hit (child)", false }
	DECODE("pf_slot"),
	DECODE("pf_movcall"),
	DECODE("pf_gate"),
	DECODE("pf_mig_slot"),
	DECODE("pf_mig_movcall"),
#undef DECODE
#define ENTRY(n, floor)                                                     \
	{ floor, "sigsegv", NULL, "sigsegv", false },                       \
	{ n, floor, "spin_pp", "floor+spin", false },                       \
	{ n "_mig", floor, NULL, "floor", false }
	ENTRY("pf_trap", "floor_int3"),
	ENTRY("pf_ud2", "floor_ud2"),
	ENTRY("pf_int", "floor_int"),
	ENTRY("pf_syscall", "floor_syscall"),
	ENTRY("pf_int80", "floor_int80"),
#undef ENTRY
	{ "pf_win_load", "sigsegv", "spin_pp", "segv+spin", false },
	{ "pf_win_load", "pf_gate", NULL, "pf_gate", false },
	{ "pf_win_store", "sigsegv", "spin_pp", "segv+spin", false },
	{ "pf_win_store", "pf_gate", NULL, "pf_gate", false },
	{ "pf_win_load_mig", "sigsegv", NULL, "sigsegv", false },
	{ "pf_win_load_mig", "pf_mig", NULL, "pf_mig", false },
	{ "pf_win_store_mig", "sigsegv", NULL, "sigsegv", false },
	{ "pf_win_store_mig", "pf_mig", NULL, "pf_mig", false },
	{ "pf_win_store_posted", "pf_win_store", NULL, "waited", false },
	{ "pf_tp_msg_2", "pf_tp_msg_1", NULL, "1 caller", true },
	{ "pf_tp_re_2", "pf_tp_re_1", NULL, "1 caller", true },
	{ "pf_tp_mig_2", "pf_tp_mig_1", NULL, "1 caller", true },
};

#define NRATIOS (sizeof(RATIOS) / sizeof(RATIOS[0]))

static double ratio_value(const struct case_list *l, const struct ratio_def *r)
{
	return paired_ratio(l, r->name, r->ref_a, r->ref_b, r->speed);
}

/* ----------------------------------------------------------- run facts */

static void cpu_model(char *buf, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, cap, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(buf, cap, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

/* The kernel's clock source decides whether clock_gettime stays in the
 * vDSO (tsc, kvm-clock, ...) or falls back to a system call. */
static void clock_source(char *buf, size_t cap)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/"
			"current_clocksource", "r");

	snprintf(buf, cap, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)cap, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

struct facts {
	char date[32], cpu[128], kernel[200], clock[64];
};

static void facts_of(struct facts *f)
{
	time_t now = time(NULL);
	struct utsname u;

	strftime(f->date, sizeof(f->date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	cpu_model(f->cpu, sizeof(f->cpu));
	clock_source(f->clock, sizeof(f->clock));
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s %s %s", u.sysname,
			 u.release, u.machine);
	else
		snprintf(f->kernel, sizeof(f->kernel), "unknown");
}

/* ----------------------------------------------------------- group order */

static const char *const GROUP_ORDER[] = { "floor", "reference",
					   "alternative", "pfipc",
					   "throughput" };
#define NGROUPS (sizeof(GROUP_ORDER) / sizeof(GROUP_ORDER[0]))

/* The groups in table order: the known ones, then any other in the order
 * its first case was registered. Returns how many; at most CAP. */
static unsigned groups_of(const struct case_list *l, const char **out,
			  unsigned cap)
{
	unsigned n = 0;

	for (unsigned g = 0; g < NGROUPS && n < cap; g++)
		out[n++] = GROUP_ORDER[g];
	for (unsigned i = 0; i < l->n && n < cap; i++) {
		bool seen = false;

		for (unsigned j = 0; j < n && !seen; j++)
			seen = strcmp(out[j], l->v[i].group) == 0;
		if (!seen)
			out[n++] = l->v[i].group;
	}
	return n;
}

/* ---------------------------------------------------------------- table */

static void print_ratios(const struct case_list *l, const struct bench_case *c)
{
	for (unsigned i = 0; i < NRATIOS; i++) {
		double v;

		if (strcmp(RATIOS[i].name, c->name) != 0)
			continue;
		v = ratio_value(l, &RATIOS[i]);
		if (!isnan(v))
			printf("  %.2fx %s", v, RATIOS[i].label);
	}
}

/* A percentile column: blank when the latency pass had too few samples. */
static void print_pct(double ns)
{
	if (isnan(ns))
		printf(" %8s", "-");
	else
		printf(" %8.0f", ns);
}

static void print_case(const struct case_list *l, const struct bench_case *c)
{
	printf("%-20s %-36.36s ", c->name, c->label);
	if (c->skipped) {
		printf("skipped: %s\n", c->why ? c->why : "?");
		return;
	}
	printf("%9.1f %9.1f %9.1f", c->stats.median_ns, c->stats.min_ns,
	       c->stats.max_ns);
	print_pct(c->lat.samples ? c->lat.p50_ns : NAN);
	print_pct(c->lat.samples ? c->lat.p99_ns : NAN);
	print_pct(c->lat.samples ? c->lat.p999_ns : NAN);
	if (c->throughput)
		printf(" %10.3g", 1e9 / c->stats.median_ns);
	else
		printf(" %10s", "");
	print_ratios(l, c);
	printf("\n");
}

static void print_load(const struct run_info *ri)
{
	if (ri->load)
		printf("load: %u CPU-bound thread%s beside the benchmark "
		       "(unpinned, from before calibration to the end)\n",
		       ri->load, ri->load == 1 ? "" : "s");
	else
		printf("load: none (quiet)\n");
}

static void print_targets(const struct case_list *l,
			  const struct run_info *ri)
{
	struct target t[MAX_TARGETS];
	unsigned nt = targets_of(l, ri, t, MAX_TARGETS);
	const char *issue = "";

	for (unsigned i = 0; i < nt; i++) {
		if (strcmp(issue, t[i].issue) != 0) {
			issue = t[i].issue;
			printf("\ntargets (issue %s), this run %s\n", issue,
			       ri->load ? "under load" : "quiet");
		}
		printf("  %-6s %-50s ", target_verdict(&t[i]), t[i].what);
		if (isnan(t[i].value))
			printf("%8s", "-");
		else
			printf("%8.2f", t[i].value);
		if (strcmp(t[i].op, "info") != 0)
			printf(" %s %.2f", t[i].op, t[i].limit);
		if (t[i].detail[0])
			printf("  (%s)", t[i].detail);
		if (!t[i].applies && t[i].load)
			printf("  [stated for --load %d]", t[i].load);
		else if (!t[i].applies)
			printf("  [stated for a quiet run]");
		printf("\n");
	}
}

void report_table(const struct case_list *l, const struct run_info *ri)
{
	const char *groups[NGROUPS + 64];
	unsigned ng = groups_of(l, groups, NGROUPS + 64);
	struct facts f;
	char idle[32];

	facts_of(&f);
	/* The idle tick is the difference of two timed loops: below a tenth
	 * of a ns it is noise, whatever its sign. */
	if (ri->tick_idle_ns < 0.1)
		snprintf(idle, sizeof(idle), "< 0.1 ns");
	else
		snprintf(idle, sizeof(idle), "%.1f ns", ri->tick_idle_ns);
	printf("\npfbench  %s  %s, %u CPUs", f.date, f.cpu, ri->ncpus);
	if (ri->cpu_a >= 0)
		printf(" (ping-pong pinned to %d/%d)", ri->cpu_a, ri->cpu_b);
	printf("\n%s; clock source %s; %u rounds, ~%.0f ms per batch%s\n",
	       f.kernel, f.clock, ri->rounds, ri->batch_ms,
	       ri->quick ? " (quick)" : "");
	print_load(ri);
	printf("median [min .. max]: ns per op of one batch, over rounds; "
	       "ratio = this median / reference\n");
	printf("p50 p99 p99.9: ns per op, one op at a time, from a latency "
	       "pass after the rounds\n"
	       "  (>= %llu ops and ~%.0f ms per case; each op includes one "
	       "tick of %.0f ns; in the rounds a tick costs %s;\n"
	       "  two-caller cases: each call as its caller saw it; '-': too "
	       "few ops for that tail)%s\n\n",
	       (unsigned long long)ri->latency_ops, ri->latency_ms,
	       ri->tick_armed_ns, idle,
	       ri->tsc_invariant ? "" : "\n  the TSC is not invariant here: "
				       "percentiles may be off");
	printf("%-20s %-36s %9s %9s %9s %8s %8s %8s %10s  %s\n", "case",
	       "what", "median", "min", "max", "p50", "p99", "p99.9",
	       "calls/s", "ratios");
	for (unsigned g = 0; g < ng; g++) {
		bool header = false;

		for (unsigned i = 0; i < l->n; i++) {
			if (strcmp(l->v[i].group, groups[g]) != 0)
				continue;
			if (!header) {
				printf("-- %s\n", groups[g]);
				header = true;
			}
			print_case(l, &l->v[i]);
		}
	}
	print_targets(l, ri);
	fflush(stdout);
}

/* ----------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* JSON has no NaN: an absent figure is null. */
static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void json_case(FILE *f, const struct case_list *l,
		      const struct bench_case *c)
{
	bool first = true;

	fprintf(f, "    {\"name\": ");
	json_str(f, c->name);
	fprintf(f, ", \"group\": ");
	json_str(f, c->group);
	fprintf(f, ", \"label\": ");
	json_str(f, c->label);
	fprintf(f, ",\n     \"skipped\": %s", c->skipped ? "true" : "false");
	if (c->skipped) {
		fprintf(f, ", \"why\": ");
		json_str(f, c->why);
		fprintf(f, "}");
		return;
	}
	fprintf(f, ", \"iters\": %llu, \"median_ns\": ",
		(unsigned long long)c->iters);
	json_num(f, c->stats.median_ns);
	fprintf(f, ", \"min_ns\": ");
	json_num(f, c->stats.min_ns);
	fprintf(f, ", \"max_ns\": ");
	json_num(f, c->stats.max_ns);
	fprintf(f, ", \"calls_per_s\": ");
	json_num(f, c->throughput ? 1e9 / c->stats.median_ns : NAN);
	fprintf(f, ",\n     \"latency_ops\": %llu, \"p50_ns\": ",
		(unsigned long long)c->lat.samples);
	json_num(f, c->lat.samples ? c->lat.p50_ns : NAN);
	fprintf(f, ", \"p99_ns\": ");
	json_num(f, c->lat.samples ? c->lat.p99_ns : NAN);
	fprintf(f, ", \"p999_ns\": ");
	json_num(f, c->lat.samples ? c->lat.p999_ns : NAN);
	fprintf(f, ",\n     \"samples_ns\": [");
	for (unsigned i = 0; i < c->nsamples; i++) {
		fprintf(f, i ? ", " : "");
		json_num(f, c->samples[i]);
	}
	fprintf(f, "],\n     \"ratios\": [");
	for (unsigned i = 0; i < NRATIOS; i++) {
		if (strcmp(RATIOS[i].name, c->name) != 0)
			continue;
		fprintf(f, "%s{\"to\": ", first ? "" : ", ");
		json_str(f, RATIOS[i].label);
		fprintf(f, ", \"value\": ");
		json_num(f, ratio_value(l, &RATIOS[i]));
		fprintf(f, "}");
		first = false;
	}
	fprintf(f, "]}");
}

static void json_meta(FILE *f, const struct run_info *ri)
{
	struct facts fa;

	facts_of(&fa);
	fprintf(f, "  \"meta\": {\"date\": ");
	json_str(f, fa.date);
	fprintf(f, ", \"cpu\": ");
	json_str(f, fa.cpu);
	fprintf(f, ", \"kernel\": ");
	json_str(f, fa.kernel);
	fprintf(f, ", \"compiler\": ");
	json_str(f, __VERSION__);
	fprintf(f, ", \"clock_source\": ");
	json_str(f, fa.clock);
	fprintf(f, ",\n           \"cpus\": %u, \"pinned\": [%d, %d], "
		   "\"rounds\": %u, \"batch_ms\": %.3g, \"quick\": %s, "
		   "\"load\": %u,\n",
		ri->ncpus, ri->cpu_a, ri->cpu_b, ri->rounds, ri->batch_ms,
		ri->quick ? "true" : "false", ri->load);
	fprintf(f, "           \"latency\": {\"ms\": %.3g, \"min_ops\": %llu, "
		   "\"tick_ns\": ",
		ri->latency_ms, (unsigned long long)ri->latency_ops);
	json_num(f, ri->tick_armed_ns);
	fprintf(f, ", \"tick_idle_ns\": ");
	json_num(f, ri->tick_idle_ns);
	fprintf(f, ", \"ns_per_cycle\": ");
	json_num(f, ri->ns_per_cycle);
	fprintf(f, ", \"tsc_invariant\": %s}},\n",
		ri->tsc_invariant ? "true" : "false");
}

int report_json(const struct case_list *l, const struct run_info *ri,
		const char *path)
{
	FILE *f = fopen(path, "w");
	struct target t[MAX_TARGETS];
	unsigned nt;

	if (!f)
		return -1;
	fprintf(f, "{\n  \"pfbench\": 1,\n");
	json_meta(f, ri);
	fprintf(f, "  \"cases\": [\n");
	for (unsigned i = 0; i < l->n; i++) {
		json_case(f, l, &l->v[i]);
		fprintf(f, i + 1 < l->n ? ",\n" : "\n");
	}
	fprintf(f, "  ],\n  \"targets\": [\n");
	nt = targets_of(l, ri, t, MAX_TARGETS);
	for (unsigned i = 0; i < nt; i++) {
		fprintf(f, "    {\"issue\": ");
		json_str(f, t[i].issue);
		fprintf(f, ", \"what\": ");
		json_str(f, t[i].what);
		fprintf(f, ", \"value\": ");
		json_num(f, t[i].value);
		fprintf(f, ", \"op\": ");
		json_str(f, t[i].op);
		fprintf(f, ", \"limit\": ");
		json_num(f, strcmp(t[i].op, "info") ? t[i].limit : NAN);
		fprintf(f, ", \"load\": ");
		if (t[i].load < 0)
			fprintf(f, "null");
		else
			fprintf(f, "%d", t[i].load);
		fprintf(f, ", \"applies\": %s, \"verdict\": ",
			t[i].applies ? "true" : "false");
		json_str(f, target_verdict(&t[i]));
		fprintf(f, ", \"detail\": ");
		json_str(f, t[i].detail);
		fprintf(f, "}%s\n", i + 1 < nt ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}
