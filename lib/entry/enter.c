/* Entering a call, shared by every entry: find the import, check that a
 * process made the call, and hand it to dispatch. */
#include <errno.h>
#include "base/callnr.h"
#include "base/diag.h"
#include "entry/enter.h"
#include "entry/pages.h"
#include "entry/report.h"
#include "ident/import.h"
#include "proc/process.h"
#include "proc/thread.h"

void enter_call(struct pf_thread *t, struct pf_import *imp, ucontext_t *uc,
		uintptr_t stack_args, struct resume how, int sig, const char *via)
{
	if (dispatch_call(t, imp, uc, stack_args, how, via) == 0)
		return;
	if (t->serving) {
		entry_contain(t, "stack overflow (no room left for a call)");
		return;
	}
	entry_refuse_as(t, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], &(struct refusal){
		.what = "overflowed its stack calling", .imp = imp, .owner = imp->owner,
		.allowed = "a call needs stack left to wait on", .sig = sig });
}

void enter_stub(const struct stub_place *pl, ucontext_t *uc, int sig)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t site = pages_stub(pl->kind, pl->process, pl->slot);
	struct pf_thread *t = pf_current;
	struct pf_process *owner = process_by_index(pl->process);
	struct pf_import *imp = import_at(owner, pl->slot);
	if (!t || !imp) {
		/* The sentence is made only for a refusal: never on a call. */
		char what[64];
		struct diag d;
		diag_start(&d, what, sizeof what);
		diag_str(&d, "called the ");
		diag_str(&d, pages_kind_name(pl->kind));
		diag_str(&d, imp ? " entry of" : " entry of an empty slot");
		entry_refuse_as(t, site, &(struct refusal){
			.what = what, .imp = imp, .owner = owner,
			.allowed = "only the entry of an import is a call", .sig = sig });
		return;
	}
	enter_call(t, imp, uc, (uintptr_t)g[REG_RSP] + 8, (struct resume){ 0 }, sig,
		   pl->kind == STUB_TRAP ? "trap" : "ud2");
}

void enter_numbered(const struct numbered *n, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned process = 0, slot = 0;
	callnr_split(n->nr, &process, &slot);
	struct pf_thread *t = pf_current;
	struct pf_process *owner = process_by_index(process);
	struct pf_import *imp = import_at(owner, slot);
	if (!t || !imp) {
		char what[96];
		struct diag d;
		diag_start(&d, what, sizeof what);
		diag_str(&d, "called through ");
		diag_str(&d, n->how);
		if (!imp)
			diag_str(&d, owner ? " an empty slot" : " a number of no process");
		entry_refuse_as(t, n->site, &(struct refusal){
			.what = what, .imp = imp, .owner = owner,
			.at = "with call number", .value = n->nr,
			.allowed = "only a number pf_import_number gave is a call",
			.sig = n->sig });
		return;
	}
	enter_call(t, imp, uc, (uintptr_t)g[REG_RSP] + 8, (struct resume){ .jump = n->resume },
		   n->sig, n->via);
}
