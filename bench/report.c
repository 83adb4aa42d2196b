/*
 * report.c — the table on stdout and the same figures as JSON.
 *
 * Which figure is compared with which lives here, in two tables, so that
 * what a ratio means can be read in one place: RATIOS (shown beside each
 * case) and the targets of issue 3 (shown under the table, each with the
 * verdict of this run). A ratio is the median, over rounds, of that round's
 * ratio: the cases of one round ran back to back, so a round's ratio
 * compares figures taken under the same conditions even when the machine
 * changes between rounds (as a shared VM does). For throughput cases it is
 * calls/s over calls/s, so "2.0x" means twice the throughput.
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
	{ "pf_tp_msg_2", "pf_tp_msg_1", NULL, "1 caller", true },
	{ "pf_tp_re_2", "pf_tp_re_1", NULL, "1 caller", true },
	{ "pf_tp_mig_2", "pf_tp_mig_1", NULL, "1 caller", true },
};

#define NRATIOS (sizeof(RATIOS) / sizeof(RATIOS[0]))

/* The median of case NAME, or NAN when it is absent or was skipped. */
static double median_of(const struct case_list *l, const char *name)
{
	const struct bench_case *c = case_find(l, name);

	return c && !c->skipped && c->nsamples ? c->stats.median_ns : NAN;
}

/* The samples of case NAME, or NULL when it is absent or was skipped. */
static const struct bench_case *usable(const struct case_list *l, const char *name)
{
	const struct bench_case *c = name ? case_find(l, name) : NULL;

	return c && !c->skipped && c->nsamples ? c : NULL;
}

/* Median over rounds of SELF / (A + B) (B may be NULL), or of
 * (A + B) / SELF when SPEED; NAN when a case is missing. */
static double paired(const struct case_list *l, const char *self_name,
		     const char *a_name, const char *b_name, bool speed)
{
	const struct bench_case *self = usable(l, self_name);
	const struct bench_case *a = usable(l, a_name);
	const struct bench_case *b = b_name ? usable(l, b_name) : NULL;
	double r[64];
	unsigned n = 0;

	if (!self || !a || (b_name && !b))
		return NAN;
	for (unsigned i = 0; i < self->nsamples && i < a->nsamples && n < 64; i++) {
		if (b && i >= b->nsamples)
			break;
		double ref = a->samples[i] + (b ? b->samples[i] : 0);
		r[n++] = speed ? ref / self->samples[i] : self->samples[i] / ref;
	}
	return n ? stats_of(r, n).median_ns : NAN;
}

static double ratio_value(const struct case_list *l, const struct ratio_def *r)
{
	return paired(l, r->name, r->ref_a, r->ref_b, r->speed);
}

/* -------------------------------------------------------------- targets */

struct target {
	const char *what;
	double value;
	double limit;
	const char *op; /* "<=", ">=" or "info" */
	char detail[160];
};

#define NTARGETS 12

static double speedup(const struct case_list *l, const char *two,
		      const char *one)
{
	return paired(l, two, one, NULL, true);
}

/* The targets of issue 3, computed from this run's medians. A NAN value
 * means a case it needs was skipped. */
static unsigned targets_of(const struct case_list *l, struct target *t)
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

	t[n] = (struct target){ "pf_gate <= 1.25 x (sigsegv + spin_pp)",
				paired(l, "pf_gate", "sigsegv", "spin_pp", false),
				1.25, "<=", "" };
	n++;
	t[n] = (struct target){ "pf_mig <= 1.15 x sigsegv",
				paired(l, "pf_mig", "sigsegv", NULL, false),
				1.15, "<=", "" };
	n++;
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		double x = fmin(paired(l, modes[i], "pipe_pp", NULL, true),
				paired(l, modes[i], "socketpair_pp", NULL, true));

		if (!isnan(x) && (isnan(worst) || x < worst))
			worst = x, worst_name = modes[i];
	}
	t[n] = (struct target){ "pipe, socketpair >= 3 x every pf sync mode",
				worst, 3.0, ">=", "" };
	snprintf(t[n].detail, sizeof(t[n].detail), "worst: %s", worst_name);
	n++;
	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		char miss[32], hit[32];

		/* Both measured in a child: see pf_cases.c. */
		snprintf(hit, sizeof(hit), "%s_child", shapes[i]);
		snprintf(miss, sizeof(miss), "%s_miss", shapes[i]);
		t[n] = (struct target){ "decode cache miss - hit (ns)",
					median_of(l, miss) -
						median_of(l, hit),
					0, "info", "" };
		snprintf(t[n].detail, sizeof(t[n].detail),
			 "%s: hit %.0f ns, miss %.0f ns", shapes[i],
			 median_of(l, hit), median_of(l, miss));
		n++;
	}
	double re = speedup(l, "pf_tp_re_2", "pf_tp_re_1");
	double mig = speedup(l, "pf_tp_mig_2", "pf_tp_mig_1");
	t[n] = (struct target){ "2 callers >= 1.6 x 1 caller (re or mig, best)",
				fmax(re, mig), 1.6, ">=", "" };
	/* Two threads faulting at once are the ceiling for migrating calls:
	 * print it beside them. */
	snprintf(t[n].detail, sizeof(t[n].detail),
		 "reentrant %.2fx, migrating %.2fx, plain %.2fx; "
		 "bare SIGSEGV %.2fx", re, mig,
		 speedup(l, "pf_tp_msg_2", "pf_tp_msg_1"),
		 speedup(l, "sigsegv_2t", "sigsegv"));
	n++;
	return n;
}

static const char *verdict(const struct target *t)
{
	if (isnan(t->value))
		return "n/a";
	if (strcmp(t->op, "<=") == 0)
		return t->value <= t->limit ? "met" : "MISSED";
	if (strcmp(t->op, ">=") == 0)
		return t->value >= t->limit ? "met" : "MISSED";
	return "info";
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

struct facts {
	char date[32], cpu[128], kernel[200];
};

static void facts_of(struct facts *f)
{
	time_t now = time(NULL);
	struct utsname u;

	strftime(f->date, sizeof(f->date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	cpu_model(f->cpu, sizeof(f->cpu));
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s %s %s", u.sysname,
			 u.release, u.machine);
	else
		snprintf(f->kernel, sizeof(f->kernel), "unknown");
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

void report_table(const struct case_list *l, const struct run_info *ri)
{
	struct target t[NTARGETS];
	const char *group = "";
	struct facts f;
	unsigned nt;

	facts_of(&f);
	printf("\npfbench  %s  %s, %u CPUs", f.date, f.cpu, ri->ncpus);
	if (ri->cpu_a >= 0)
		printf(" (ping-pong pinned to %d/%d)", ri->cpu_a, ri->cpu_b);
	printf("\n%s; %u rounds, ~%.0f ms per batch%s\n", f.kernel, ri->rounds,
	       ri->batch_ms, ri->quick ? " (quick)" : "");
	printf("per-op time in ns: median [min .. max] over rounds; ratio = "
	       "this median / reference\n\n");
	printf("%-20s %-36s %9s %9s %9s %10s  %s\n", "case", "what", "median",
	       "min", "max", "calls/s", "ratios");
	for (unsigned i = 0; i < l->n; i++) {
		const struct bench_case *c = &l->v[i];

		if (strcmp(group, c->group) != 0) {
			group = c->group;
			printf("-- %s\n", group);
		}
		printf("%-20s %-36.36s ", c->name, c->label);
		if (c->skipped) {
			printf("skipped: %s\n", c->why ? c->why : "?");
			continue;
		}
		printf("%9.1f %9.1f %9.1f ", c->stats.median_ns,
		       c->stats.min_ns, c->stats.max_ns);
		if (c->throughput)
			printf("%10.3g", 1e9 / c->stats.median_ns);
		else
			printf("%10s", "");
		print_ratios(l, c);
		printf("\n");
	}
	nt = targets_of(l, t);
	printf("\ntargets (issue 3)\n");
	for (unsigned i = 0; i < nt; i++) {
		printf("  %-6s %-44s %8.2f", verdict(&t[i]), t[i].what,
		       t[i].value);
		if (strcmp(t[i].op, "info") != 0)
			printf(" %s %.2f", t[i].op, t[i].limit);
		if (t[i].detail[0])
			printf("  (%s)", t[i].detail);
		printf("\n");
	}
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

int report_json(const struct case_list *l, const struct run_info *ri,
		const char *path)
{
	FILE *f = fopen(path, "w");
	struct target t[NTARGETS];
	struct facts fa;
	unsigned nt;

	if (!f)
		return -1;
	facts_of(&fa);
	fprintf(f, "{\n  \"pfbench\": 1,\n  \"meta\": {\"date\": ");
	json_str(f, fa.date);
	fprintf(f, ", \"cpu\": ");
	json_str(f, fa.cpu);
	fprintf(f, ", \"kernel\": ");
	json_str(f, fa.kernel);
	fprintf(f, ", \"compiler\": ");
	json_str(f, __VERSION__);
	fprintf(f, ",\n           \"cpus\": %u, \"pinned\": [%d, %d], "
		   "\"rounds\": %u, \"batch_ms\": %.3g, \"quick\": %s},\n",
		ri->ncpus, ri->cpu_a, ri->cpu_b, ri->rounds, ri->batch_ms,
		ri->quick ? "true" : "false");
	fprintf(f, "  \"cases\": [\n");
	for (unsigned i = 0; i < l->n; i++) {
		json_case(f, l, &l->v[i]);
		fprintf(f, i + 1 < l->n ? ",\n" : "\n");
	}
	fprintf(f, "  ],\n  \"targets\": [\n");
	nt = targets_of(l, t);
	for (unsigned i = 0; i < nt; i++) {
		fprintf(f, "    {\"what\": ");
		json_str(f, t[i].what);
		fprintf(f, ", \"value\": ");
		json_num(f, t[i].value);
		fprintf(f, ", \"op\": ");
		json_str(f, t[i].op);
		fprintf(f, ", \"limit\": ");
		json_num(f, strcmp(t[i].op, "info") ? t[i].limit : NAN);
		fprintf(f, ", \"verdict\": ");
		json_str(f, verdict(&t[i]));
		fprintf(f, ", \"detail\": ");
		json_str(f, t[i].detail);
		fprintf(f, "}%s\n", i + 1 < nt ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}
