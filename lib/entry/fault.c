/* The page-fault entry: turn the three call shapes into calls, refuse
 * everything else in the arena.
 *
 * The three shapes (System V x86-64 at -O0/-O2, gcc and clang):
 *   call qword ptr [slot]   RIP is the CALL; we push RIP+len ourselves
 *   jmp  qword ptr [slot]   a tail call; the return address is on the stack
 *   mov  reg, [slot]        emulated: reg = gate, RIP += len; the CALL
 *                           through reg that follows faults at the gate
 *   call/jmp reg → gate     a fetch fault, RIP == si_addr; return address
 *                           already at [RSP]
 * In every case the caller resumes in the await trampoline as if it had
 * called it, with the return address on top of its stack. */
#include <errno.h>
#include <stdint.h>
#include "base/arena.h"
#include "entry/decode.h"
#include "entry/enter.h"
#include "entry/fault.h"
#include "entry/report.h"
#include "entry/thread.h"
#include "ident/import.h"
#include "proc/process.h"
#include "proc/thread.h"

/* What a refused prefix did, for the one-line diagnostic (the disassembly
 * does not always show the prefix). */
static const char *prefix_refusal(uint8_t prefix)
{
	switch (prefix) {
	case 0x66: return "made a 16-bit (0x66-prefixed) call or jump through the slot of";
	case 0x67: return "used a 32-bit address (0x67 prefix) on the slot of";
	case 0xf2: return "used a 0xf2 prefix on the slot of";
	case 0xf3: return "used a 0xf3 prefix on the slot of";
	default:   return "used a lock prefix on the slot of";
	}
}

bool fault_entry(uintptr_t addr, ucontext_t *uc)
{
	struct arena_place pl = arena_classify(addr);
	if (pl.area == AREA_OUTSIDE)
		return false;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct pf_thread *t = pf_current;
	struct pf_process *owner = process_by_index(pl.process);
	struct pf_import *imp = pl.area == AREA_OTHER ? NULL : import_at(owner, pl.slot);

	if (!t) {
		entry_refuse(t, rip, addr, owner, imp, "called");
		return true;
	}
	if (!imp) {
		entry_refuse(t, rip, addr, owner, NULL,
			     pl.area == AREA_OTHER ? "touched the middle of a slot or gate"
						   : "touched an empty slot or gate");
		return true;
	}
	if (pl.area == AREA_GATE) {
		if (rip != addr)
			entry_refuse(t, rip, addr, owner, imp, "read or wrote the gate of");
		else
			enter_call(t, imp, uc, (uintptr_t)g[REG_RSP] + 8, (struct resume){ 0 },
				   SIGSEGV, "gate");
		return true;
	}
	if (arena_classify(rip).area != AREA_OUTSIDE) {   /* never decode the arena */
		entry_refuse(t, rip, addr, owner, imp, "jumped into the slot of");
		return true;
	}
	struct insn in = { .kind = INSN_OTHER };
	if (!decode_at(entry_decoder(t), rip, &in) || in.kind == INSN_OTHER ||
	    insn_operand_address(&in, rip, g) != addr) {
		entry_refuse(t, rip, addr, owner, imp,
			     in.prefix ? prefix_refusal(in.prefix) : "accessed the slot of");
		return true;
	}
	switch (in.kind) {
	case INSN_MOV_LOAD:
		g[in.dest] = (greg_t)imp->gate;
		g[REG_RIP] = (greg_t)(rip + in.len);
		break;
	case INSN_CALL_MEM:
		enter_call(t, imp, uc, (uintptr_t)g[REG_RSP], (struct resume){ .push = rip + in.len },
			   SIGSEGV, "slot");
		break;
	case INSN_JMP_MEM:
		enter_call(t, imp, uc, (uintptr_t)g[REG_RSP] + 8, (struct resume){ 0 }, SIGSEGV,
			   "slot");
		break;
	}
	return true;
}
