/*
 * windows.c — a load and a store to a window, message passing and
 * migrating, beside a gate call and the fault floor in the same run.
 *
 * A window access is a fault like a gate call's, plus what a call has
 * (the hand-off to the owner and back, or none when migrating), plus the
 * decode (Capstone, uncached: every access decodes), the emulation, and
 * the restore of every register in user space afterwards (xrstor, popfq).
 * The owner of "bw.msg" is pinned to the other CPU, as the latency
 * servers are; "bw.mig" is PF_EXPORT_MIGRATE: served on the accessing
 * thread. Each loop makes one access per tick: `mov (%rbx), %eax` or
 * `mov %eax, (%rbx)`, written in asm so that no compiler choice changes
 * the instruction.
 *
 *   pf_win_load, pf_win_store           message passing
 *   pf_win_load_mig, pf_win_store_mig   migrating
 *   pf_win_store_posted                 PF_WINDOW_POSTED: the store does
 *                                       not wait for the owner
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>

#include <pfipc.h>

#include "bench.h"

static uint32_t device[1024];

static int dev_read(void *ctx, uint64_t offset, unsigned width, void *value)
{
	(void)ctx;
	memcpy(value, (uint8_t *)device + offset, width);
	return 0;
}

static int dev_write(void *ctx, uint64_t offset, unsigned width, const void *value)
{
	(void)ctx;
	memcpy((uint8_t *)device + offset, value, width);
	return 0;
}

static const pf_window_ops dev_ops = { dev_read, dev_write, NULL };

/* On the owner's own thread: pinning here pins that thread. */
static int owner_init(void *arg)
{
	struct cpu_saved ignored;
	int rc;

	(void)arg;
	cpu_pin(cpu_b(), &ignored);
	rc = pf_window_create("bw.msg", 1, &dev_ops, NULL, 0);
	return rc ? rc : pf_window_create("bw.mig", 1, &dev_ops, NULL, PF_EXPORT_MIGRATE);
}

static int owner_err = 1; /* 1: not tried yet */

static int owner_ensure(void)
{
	pf_process *p;

	if (owner_err == 1)
		owner_err = pf_process_create(&p, "bench_win", NULL, owner_init, NULL);
	return owner_err;
}

__attribute__((noinline)) static uint32_t loop_load(volatile uint32_t *w, uint64_t iters)
{
	uint32_t acc = 0, v;

	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		__asm__ volatile("mov (%1), %0" : "=r"(v) : "r"(w) : "memory");
		acc += v;
	}
	return acc;
}

__attribute__((noinline)) static void loop_store(volatile uint32_t *w, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		bench_tick();
		__asm__ volatile("mov %1, (%0)" :: "r"(w), "r"((uint32_t)i) : "memory");
	}
}

struct win_case {
	const char *window;
	unsigned flags;   /* pf_window_map's */
	bool store;
	volatile uint32_t *w;
	struct cpu_saved saved;
	char why[128];
};

static int win_setup(void *ctx, const char **why)
{
	struct win_case *wc = ctx;
	pf_process *self;
	void *w;
	int err = 0;

	if (!pf_self())
		err = pf_process_join_self(&self, "bench");
	if (!err)
		err = owner_ensure();
	if (!err)
		err = pf_window_map(wc->window, wc->flags, &w);
	if (err) {
		snprintf(wc->why, sizeof(wc->why), "%s: %s (%d)", wc->window,
			 pf_strerror(err), err);
		*why = wc->why;
		return -1;
	}
	wc->w = w;
	/* One access of each kind before any timing: a window that does not
	 * answer must not be timed as if it did. */
	wc->w[1] = 0x5a5a;
	if (wc->w[1] != 0x5a5a || pf_errno() != 0) {
		snprintf(wc->why, sizeof(wc->why), "first access: %s", pf_error_message());
		*why = wc->why;
		return -1;
	}
	return 0;
}

static void win_begin(void *ctx)
{
	struct win_case *wc = ctx;

	cpu_pin(cpu_a(), &wc->saved);
}

static void win_end(void *ctx)
{
	struct win_case *wc = ctx;

	cpu_unpin(&wc->saved);
}

static uint64_t win_run(void *ctx, uint64_t iters, uint64_t *ops)
{
	struct win_case *wc = ctx;
	uint64_t t0 = now_ns();

	if (wc->store)
		loop_store(wc->w, iters);
	else
		loop_load(wc->w, iters);
	uint64_t t1 = now_ns();
	/* Posted stores may still be queued: a load waits behind them, so
	 * the next batch starts with the owner's queue empty. Untimed: the
	 * figure is what the storing thread pays. */
	if (wc->flags & PF_WINDOW_POSTED)
		(void)wc->w[0];
	if (pf_errno() != 0)
		fprintf(stderr, "pfbench: window access failed: %s\n", pf_error_message());
	*ops = iters;
	return t1 - t0;
}

static struct win_case c_load = { .window = "bw.msg" };
static struct win_case c_store = { .window = "bw.msg", .store = true };
static struct win_case c_load_mig = { .window = "bw.mig" };
static struct win_case c_store_mig = { .window = "bw.mig", .store = true };
static struct win_case c_store_posted = { .window = "bw.msg", .store = true,
					  .flags = PF_WINDOW_POSTED };

void windows_register(struct case_list *l)
{
	static const struct {
		const char *name, *label;
		struct win_case *c;
	} cases[] = {
		{ "pf_win_load", "load from a window (mov (%rbx),%eax), served on the other CPU",
		  &c_load },
		{ "pf_win_store", "store to a window, served on the other CPU", &c_store },
		{ "pf_win_load_mig", "load from a PF_EXPORT_MIGRATE window", &c_load_mig },
		{ "pf_win_store_mig", "store to a PF_EXPORT_MIGRATE window", &c_store_mig },
		{ "pf_win_store_posted", "posted store (PF_WINDOW_POSTED): does not wait",
		  &c_store_posted },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		case_add(l, &(struct bench_case){
			.name = cases[i].name, .group = "pfipc", .label = cases[i].label,
			.ctx = cases[i].c, .setup = win_setup, .begin = win_begin,
			.end = win_end, .run = win_run });
}
