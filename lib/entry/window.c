/* The window entry. A fault in the window area is one of:
 *   - an access by a thread of no process, or to a slot nobody maps, or
 *     to the mapping's pages past the window's end: refused;
 *   - an instruction fetch (a jump into the window): refused;
 *   - a load or store: decoded (Capstone, then emu_decode, which checks
 *     that the access is an emulated form, lies in the window and is the
 *     one that faulted), then carried out in normal context.
 * Nothing here waits: the accesses are calls, made after the handler has
 * returned, from pf_x86_restore. */
#include <errno.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/diag.h"
#include "dispatch/restore.h"
#include "entry/decode.h"
#include "entry/report.h"
#include "entry/thread.h"
#include "entry/window.h"
#include "entry/window_job.h"
#include "ident/registry.h"
#include "ident/windows.h"
#include "proc/process.h"
#include "proc/thread.h"

void window_refuse(struct pf_thread *t, uintptr_t rip, const char *what, const char *at,
		   uint64_t value, const char *why)
{
	entry_refuse_as(t, rip, &(struct refusal){
		.what = what, .at = at, .value = value, .allowed = why, .sig = SIGSEGV });
}

void window_dispatch(struct pf_thread *t, ucontext_t *uc, const struct window_job *job)
{
	int err = dispatch_restore(t, uc, window_job_run, job, sizeof *job);
	if (!err)
		return;
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (err == -EFAULT && t->serving)
		entry_contain(t, "stack overflow (no room left for a window access)");
	window_refuse(t, rip, err == -EFAULT ? "overflowed its stack accessing a window"
					     : "accessed a window", NULL, 0,
		      err == -EFAULT ? "an access needs stack left to wait on"
				     : "its signal frame's vector state is larger than pfipc copies");
}

/* "accessed window "NS.NAME" of process "P"" */
static const char *describe(char *buf, size_t cap, const struct window_map *m)
{
	struct diag d;
	diag_start(&d, buf, cap);
	diag_str(&d, "accessed window ");
	diag_quoted(&d, m->imp.entry->name);
	struct pf_process *owner = atomic_load(&m->imp.entry->owner);
	if (owner) {
		diag_str(&d, " of process ");
		diag_quoted(&d, owner->name);
	}
	return buf;
}

/* Does the instruction write rsp? The thread resumes on the rsp it
 * faulted with (dispatch/restore.h): such a form is refused. */
static bool writes_rsp(const struct emu_plan *p)
{
	if (p->reg.kind != EMU_REG_GPR || p->reg.num != EMU_RSP)
		return false;
	switch (p->op) {
	case EMU_OP_LOAD: case EMU_OP_XCHG: case EMU_OP_XADD:
		return true;
	case EMU_OP_ALU:
		return !p->mem_first && p->alu != ALU_CMP && p->alu != ALU_TEST;
	default:
		return false;
	}
}

bool window_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	(void)sig;
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct arena_place pl = arena_classify(addr);
	if (pl.area != AREA_WINDOW)
		return false;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct pf_thread *t = pf_current;
	struct window_map *m = window_map_at(pl.process, pl.slot);
	const struct window *w = m ? window_of(m->imp.entry) : NULL;
	char what[160];
	if (!t || !m || !w) {
		window_refuse(t, rip, m ? describe(what, sizeof what, m) : "accessed a window address",
			      "at", addr, m || !t ? "only a mapped window may be accessed"
					    : "no window is mapped there (unmapped, or its process exited)");
		return true;
	}
	describe(what, sizeof what, m);
	if (arena_classify(rip).area != AREA_OUTSIDE) {   /* never decode a window */
		window_refuse(t, rip, what, "at", addr, "a window holds no code");
		return true;
	}
	const struct cs_insn *insn = decode_insn(entry_decoder(t), rip);
	struct window_job job = { .imp = &m->imp, .posted = m->posted_writes ? &m->posted : NULL,
				  .base = m->base, .via = "window" };
	emu_cpu_from_ucontext(uc, &job.cpu);
	struct emu_window bounds = { m->base, m->base + atomic_load(&w->size) };
	struct emu_fault fault = { addr, (g[REG_ERR] & 2) ? 1 : 0 };
	if (!insn) {
		window_refuse(t, rip, what, "at", addr, "the instruction cannot be decoded");
		return true;
	}
	if (emu_decode(insn, &job.cpu, &bounds, &fault, &job.plan) != 0) {
		window_refuse(t, rip, what, "at", addr, job.plan.refusal);
		return true;
	}
	if (job.plan.op == EMU_OP_PORT || writes_rsp(&job.plan)) {
		window_refuse(t, rip, what, "at", addr, job.plan.op == EMU_OP_PORT
			      ? "port I/O does not touch memory" : "a window access may not write rsp");
		return true;
	}
	window_dispatch(t, uc, &job);
	return true;
}
