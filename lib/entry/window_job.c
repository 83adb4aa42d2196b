/* Carrying out a window access in normal context. The emulator's bus is
 * a call per access: a load waits for the owner's bytes, a store for its
 * acknowledgement (unless posted), an atomic access for the owner's
 * read-step-write, during which the owner runs the instruction's step on
 * this thread's registers (they live in the job, on this thread's stack,
 * and this thread waits). A failed access does not stop the instruction:
 * the emulator goes on with all ones, and the first failure is what
 * pf_errno() tells. */
#include <string.h>
#include "base/window_io.h"
#include "call/window.h"
#include "entry/emulate_port.h"
#include "entry/window_job.h"
#include "ident/import.h"
#include "proc/errors.h"
#include "proc/thread.h"
#include "trace/window_stats.h"

struct bus_state {
	struct pf_thread *t;
	const struct window_job *job;
	struct thread_error first;   /* the first failure */
};

static int one_access(struct bus_state *b, struct pf_import *imp, struct window_io *io)
{
	int err = call_window(b->t, imp, b->job->via, io);
	if (err && !b->first.err)
		b->first = b->t->error;
	return err;
}

static int bus_read(void *ctx, uint64_t addr, unsigned width, void *out)
{
	struct bus_state *b = ctx;
	struct window_io io = { .op = WINDOW_READ, .width = (uint8_t)width,
				.offset = addr - b->job->base };
	int err = one_access(b, b->job->imp, &io);
	if (!err)
		memcpy(out, io.value, width);
	return err;
}

static int bus_write(void *ctx, uint64_t addr, unsigned width, const void *in)
{
	struct bus_state *b = ctx;
	struct window_io io = { .op = WINDOW_WRITE, .width = (uint8_t)width,
				.offset = addr - b->job->base };
	memcpy(io.value, in, width);
	return one_access(b, b->job->posted ? b->job->posted : b->job->imp, &io);
}

static int bus_update(void *ctx, uint64_t addr, unsigned width, emu_rmw_fn *step, void *arg)
{
	struct bus_state *b = ctx;
	struct window_io io = { .op = WINDOW_UPDATE, .width = (uint8_t)width,
				.offset = addr - b->job->base, .step = step, .step_ctx = arg };
	return one_access(b, b->job->imp, &io);
}

void window_job_run(ucontext_t *uc, void *p)
{
	struct window_job *job = p;
	struct bus_state b = { .t = pf_current, .job = job };
	const struct emu_bus bus = { bus_read, bus_write, bus_update, &b };
	if (job->plan.op == EMU_OP_PORT)
		emu_execute_port(&job->plan, &job->cpu, &bus);
	else
		emu_execute(&job->plan, &job->cpu, &bus);
	emu_cpu_to_ucontext(&job->cpu, uc);
	window_stats_instruction(job->imp->entry);
	if (b.first.err)
		b.t->error = b.first;
	else
		error_clear(&b.t->error);
}
