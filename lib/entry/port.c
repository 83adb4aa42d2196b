#include <capstone/capstone.h>
#include "base/arena.h"
#include "base/diag.h"
#include "entry/decode.h"
#include "entry/port.h"
#include "entry/thread.h"
#include "entry/window.h"
#include "entry/window_job.h"
#include "ident/registry.h"
#include "ident/windows.h"
#include "proc/process.h"
#include "proc/thread.h"

static bool port_insn(unsigned id)
{
	return id == X86_INS_IN || id == X86_INS_OUT ||
	       (id >= X86_INS_INSB && id <= X86_INS_INSW) ||
	       (id >= X86_INS_OUTSB && id <= X86_INS_OUTSW);
}

bool port_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	if (sig != SIGSEGV || si->si_code != SI_KERNEL || si->si_addr)
		return false;
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	struct pf_thread *t = pf_current;
	if (!t || arena_classify(rip).area != AREA_OUTSIDE)   /* never decode the arena */
		return false;
	const struct cs_insn *insn = decode_insn(entry_decoder(t), rip);
	if (!insn || !port_insn(insn->id))
		return false;
	struct window_job job = { .via = "port" };
	emu_cpu_from_ucontext(uc, &job.cpu);
	struct emu_window none = { 0, 0 };
	int err = emu_decode(insn, &job.cpu, &none, NULL, &job.plan);
	bool partly = false;
	struct window_map *m = err ? NULL : port_map_find(t->self->index, job.plan.port,
							   job.plan.width, &partly);
	if (!err && !m && !partly)
		return false;   /* not pfipc's: the fault it would have been */
	char what[128];
	struct diag d;
	diag_start(&d, what, sizeof what);
	diag_str(&d, job.plan.port_in ? "read from" : "wrote to");
	if (err || !m) {
		window_refuse(t, rip, what, "port", job.plan.port,
			      err ? job.plan.refusal : "a port range of the process covers it only in part");
		return true;
	}
	job.imp = &m->imp;
	job.posted = m->posted_writes ? &m->posted : NULL;
	job.base = m->first;
	window_dispatch(t, uc, &job);
	return true;
}
