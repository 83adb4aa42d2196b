/*
 * pfbench.c — the runner: options, calibration, the interleaved rounds,
 * the latency pass.
 *
 *   pfbench [--rounds N] [--quick] [--json FILE] [--batch-ms MS]
 *           [--load N] [--latency-ms MS] [--latency-ops N]
 *           [--only NAME[,NAME...]] [--list]
 *
 * Each case is first calibrated so that one batch lasts about --batch-ms.
 * Then, for each of N rounds, every case runs one batch (one sample of ns
 * per operation); the starting case rotates from round to round so that no
 * case always follows the same neighbour. A case that cannot run on this
 * machine (no second CPU, pfipc refused it) is reported as skipped and the
 * rest of the run goes on.
 *
 * After the rounds, the latency pass runs each case once more, long enough
 * for --latency-ms and at least --latency-ops operations, with bench_tick
 * recording: p50, p99 and p99.9 per operation come from there, and the
 * medians, taken without recording, are left as they were.
 *
 * With --load N, N CPU-bound threads (load.c) run from before calibration
 * to the end of the latency pass.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#ifndef PFBENCH_NO_PF
#include <pfipc.h>
#endif

/* ------------------------------------------------------------- options */

struct options {
	unsigned rounds;
	double batch_ms;
	bool quick;
	bool strict;   /* exit 3 if any case was skipped */
	bool list;
	bool latency;  /* hidden: child mode records a histogram */
	unsigned load;
	double latency_ms;
	uint64_t latency_ops;
	const char *json;
	const char *only;     /* comma-separated case names */
	const char *case_name; /* hidden: child mode (see child.c) */
	uint64_t case_iters;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pfbench [--rounds N] [--quick] [--json FILE] "
		"[--batch-ms MS]\n"
		"               [--load N] [--latency-ms MS] [--latency-ops N]\n"
		"               [--only NAME[,NAME...]] [--list]\n"
		"  --rounds N    rounds over all cases (default 11; 3 with "
		"--quick)\n"
		"  --quick       short batches and 3 rounds: a smoke test\n"
		"  --strict      exit 3 if any case had to be skipped\n"
		"  --json FILE   also write every figure to FILE\n"
		"  --batch-ms MS target length of one batch (default 20; 2 "
		"with --quick)\n"
		"  --load N      run N CPU-bound threads beside the benchmark\n"
		"  --latency-ms MS  latency pass: time per case (default 5 "
		"batches)\n"
		"  --latency-ops N  latency pass: least operations per case "
		"(default 5000;\n"
		"                1000 with --quick)\n"
		"  --only LIST   run only these cases (plus nothing else)\n"
		"  --list        print the case names and exit\n");
}

static unsigned long parse_num(const char *opt, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s ? s : "", &end, 10);
	if (!s || errno || *end || end == s) {
		fprintf(stderr, "pfbench: %s needs a number\n", opt);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	unsigned rounds = 0;
	double batch_ms = 0, latency_ms = 0;
	uint64_t latency_ops = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--rounds") == 0)
			rounds = (unsigned)parse_num(a, v), i++;
		else if (strcmp(a, "--batch-ms") == 0)
			batch_ms = (double)parse_num(a, v), i++;
		else if (strcmp(a, "--load") == 0)
			o->load = (unsigned)parse_num(a, v), i++;
		else if (strcmp(a, "--latency-ms") == 0)
			latency_ms = (double)parse_num(a, v), i++;
		else if (strcmp(a, "--latency-ops") == 0)
			latency_ops = parse_num(a, v), i++;
		else if (strcmp(a, "--latency") == 0)
			o->latency = true;
		else if (strcmp(a, "--quick") == 0)
			o->quick = true;
		else if (strcmp(a, "--strict") == 0)
			o->strict = true;
		else if (strcmp(a, "--list") == 0)
			o->list = true;
		else if (strcmp(a, "--json") == 0 && v)
			o->json = v, i++;
		else if (strcmp(a, "--only") == 0 && v)
			o->only = v, i++;
		else if (strcmp(a, "--case") == 0 && v)
			o->case_name = v, i++;
		else if (strcmp(a, "--iters") == 0)
			o->case_iters = parse_num(a, v), i++;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			usage(stdout), exit(0);
		else
			usage(stderr), exit(2);
	}
	o->rounds = rounds ? rounds : o->quick ? 3 : 11;
	o->batch_ms = batch_ms > 0 ? batch_ms : o->quick ? 2 : 20;
	o->latency_ms = latency_ms > 0 ? latency_ms : 5 * o->batch_ms;
	o->latency_ops = latency_ops ? latency_ops : o->quick ? 1000 : 5000;
	if (o->load > 256) {
		fprintf(stderr, "pfbench: --load %u: at most 256\n", o->load);
		exit(2);
	}
}

/* Whether NAME is in the comma-separated LIST. */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* ------------------------------------------------------------- running */

/* One overwritten status line, only for a person watching a terminal. */
static void progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fputs("\rpfbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void progress_done(void)
{
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
}

static uint64_t run_batch(struct bench_case *c, uint64_t iters,
			  uint64_t *ops)
{
	uint64_t ns;

	if (c->begin)
		c->begin(c->ctx);
	ns = c->run(c->ctx, iters, ops);
	if (c->end)
		c->end(c->ctx);
	return ns;
}

/*
 * Grow ITERS by 8x until a batch lasts an eighth of the target, then scale
 * to the target. Starting at 16 keeps a case that runs in a child process
 * (each batch a process start) to a handful of batches; the first batches
 * double as warm-up.
 */
static void calibrate(struct bench_case *c, double batch_ms)
{
	const double target = batch_ms * 1e6;
	uint64_t iters = 16, ops, ns;

	for (;;) {
		ns = run_batch(c, iters, &ops);
		if (ns >= target / 8 || iters >= (UINT64_C(1) << 40))
			break;
		iters *= 8;
	}
	if (ns == 0)
		ns = 1;
	iters = (uint64_t)((double)iters * target / (double)ns);
	c->iters = iters ? iters : 1;
}

static void run_rounds(struct case_list *l, unsigned rounds)
{
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned k = 0; k < l->n; k++) {
			struct bench_case *c = &l->v[(r + k) % l->n];
			uint64_t ops = 0, ns;

			if (c->skipped)
				continue;
			ns = run_batch(c, c->iters, &ops);
			c->samples[c->nsamples++] =
				(double)ns / (double)(ops ? ops : 1);
			c->ops_per_batch = ops;
		}
		progress("round %u/%u", r + 1, rounds);
	}
	progress_done();
}

/*
 * The iterations for C's latency pass: enough for LATENCY_MS at the
 * median's pace slowed by a tick of TICK_NS per operation (which is most of
 * an operation for the fastest cases), and for LATENCY_OPS operations (a
 * two-caller case makes two per iteration).
 */
static uint64_t latency_iters(const struct bench_case *c, double latency_ms,
			      uint64_t latency_ops, double tick_ns)
{
	double ops_per_iter = c->ops_per_batch && c->iters
		? (double)c->ops_per_batch / (double)c->iters : 1;
	double iter_ns = (c->stats.median_ns + fmax(tick_ns, 0)) * ops_per_iter;
	double by_ops = ceil((double)latency_ops / ops_per_iter);
	double by_time = iter_ns > 0 ? latency_ms * 1e6 / iter_ns : by_ops;

	return (uint64_t)fmax(2, fmax(by_ops, by_time));
}

static double to_ns(double cycles, double ns_per_cycle)
{
	return cycles * ns_per_cycle;
}

/* Once more through every case, in registered order, with the ticks
 * recording. The rounds are over: nothing here changes a median. */
static void latency_pass(struct case_list *l, const struct options *o,
			 double tick_ns)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct bench_case *c = &l->v[i];
		uint64_t ops;

		if (c->skipped)
			continue;
		progress("latency %-24s", c->name);
		c->lat_hist = calloc(1, sizeof(*c->lat_hist));
		if (!c->lat_hist)
			abort();
		tick_pass_begin();
		run_batch(c, latency_iters(c, o->latency_ms, o->latency_ops,
					   tick_ns), &ops);
		tick_pass_end(c->lat_hist);
	}
	progress_done();
}

/* Cycles to ns, now that the TSC's rate over the whole run is known. */
static void latency_fill(struct case_list *l)
{
	double k = tick_ns_per_cycle();

	for (unsigned i = 0; i < l->n; i++) {
		struct bench_case *c = &l->v[i];
		const struct hist *h = c->lat_hist;

		if (!h)
			continue;
		c->lat.samples = h->count;
		c->lat.p50_ns = to_ns(hist_percentile(h, 0.50), k);
		c->lat.p99_ns = to_ns(hist_percentile(h, 0.99), k);
		c->lat.p999_ns = to_ns(hist_percentile(h, 0.999), k);
	}
}

/* Keep only the cases --only names, in their registered order. */
static void filter_cases(struct case_list *l, const char *only)
{
	unsigned j = 0;

	for (unsigned i = 0; i < l->n; i++)
		if (listed(only, l->v[i].name))
			l->v[j++] = l->v[i];
	l->n = j;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	/* Static: the cases live until exit, and LeakSanitizer must see them
	 * still reachable after main returns. */
	static struct case_list l;
	struct run_info ri;

	parse_args(argc, argv, &o);
	cpus_init();
	tick_init();
	floors_register(&l);
	alternatives_register(&l);
#ifndef PFBENCH_NO_PF
	pf_cases_register(&l);
	entries_register(&l);
	windows_register(&l);
#endif
	if (o.case_name)
		return child_main(&l, o.case_name,
				  o.case_iters ? o.case_iters : 1000,
				  o.latency);
	if (o.list) {
		for (unsigned i = 0; i < l.n; i++)
			printf("%-20s %s\n", l.v[i].name, l.v[i].label);
		return 0;
	}
	if (o.only)
		filter_cases(&l, o.only);
#ifndef PFBENCH_NO_PF
	/* Before any thread (the load, the cases' peers): pf_init forks the
	 * helper that isolated processes are forked from, and a process
	 * forked from several threads may not start threads of its own
	 * under ThreadSanitizer. */
	(void)pf_init();   /* a failure shows in the cases' setup */
#endif
	if (load_start(o.load) != 0) {
		fprintf(stderr, "pfbench: could not start %u load threads\n",
			o.load);
		return 1;
	}

	for (unsigned i = 0; i < l.n; i++) {
		struct bench_case *c = &l.v[i];

		progress("setting up %-24s", c->name);
		c->why = "setup failed";
		if (c->setup && c->setup(c->ctx, &c->why) != 0) {
			c->skipped = true;
			continue;
		}
		calibrate(c, o.batch_ms);
		c->samples = calloc(o.rounds, sizeof(*c->samples));
		if (!c->samples)
			abort();
	}
	progress_done();
	run_rounds(&l, o.rounds);
	for (unsigned i = 0; i < l.n; i++)
		if (!l.v[i].skipped)
			l.v[i].stats = stats_of(l.v[i].samples,
						l.v[i].nsamples);

	ri = (struct run_info){ .rounds = o.rounds, .batch_ms = o.batch_ms,
				.quick = o.quick, .load = o.load,
				.latency_ms = o.latency_ms,
				.latency_ops = o.latency_ops,
				.cpu_a = cpu_a(), .cpu_b = cpu_b(),
				.ncpus = cpus_allowed() };
	/* Under the same load as the cases. */
	tick_cost(o.quick ? 20000 : 200000, &ri.tick_armed_ns,
		  &ri.tick_idle_ns);
	latency_pass(&l, &o, ri.tick_armed_ns);
	tick_rate_fix();
	load_stop();
	ri.ns_per_cycle = tick_ns_per_cycle();
	ri.tsc_invariant = tick_tsc_invariant();
	latency_fill(&l);
	report_table(&l, &ri);
	if (o.json && report_json(&l, &ri, o.json) != 0) {
		perror(o.json);
		return 1;
	}
	if (o.strict)
		for (unsigned i = 0; i < l.n; i++)
			if (l.v[i].skipped) {
				fprintf(stderr, "pfbench: %s skipped: %s\n", l.v[i].name, l.v[i].why);
				return 3;
			}
	/* The peers and pfipc's processes end with the program: tearing them
	 * down one by one would measure nothing. */
	return 0;
}
