/* The SIGSEGV front-end: classify the fault, turn the three call shapes
 * into calls, refuse everything else in the arena, and pass faults outside
 * the arena to whoever handled SIGSEGV before us.
 *
 * Runs in signal context on the thread's alternate stack, so it only does
 * async-signal-safe work: arithmetic on the arena, a decode (cached, or
 * Capstone with the thread's preallocated buffer), a copy of the register
 * image into the thread's preallocated message, and a rewrite of the
 * context. It never queues, locks or waits: the await trampoline does that
 * after the signal has returned.
 *
 * The three shapes (System V x86-64 at -O0/-O2, gcc and clang):
 *   call qword ptr [slot]   RIP is the CALL; we push RIP+len ourselves
 *   jmp  qword ptr [slot]   a tail call; the return address is on the stack
 *   mov  reg, [slot]        emulated: reg = gate, RIP += len; the CALL
 *                           through reg that follows faults at the gate
 *   call/jmp reg → gate     a fetch fault, RIP == si_addr; return address
 *                           already at [RSP]
 * In every case the caller resumes in pf_x86_await as if it had called it,
 * with the return address on top of its stack. */
#include <errno.h>
#include <setjmp.h>
#include <sigsegv.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>
#include "arena.h"
#include "call.h"
#include "decode.h"
#include "diag.h"
#include "fault.h"
#include "import.h"
#include "process.h"
#include "registry.h"
#include "signals.h"
#include "thread.h"

static struct decoder *emergency_decoder;   /* for threads with none */
static atomic_flag emergency_taken = ATOMIC_FLAG_INIT;

/* A fault that is not pfipc's goes where it would have gone without us. */
static void pass_on(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *theirs = signals_program_handler(sig);
	if (theirs->sa_flags & SA_SIGINFO) {
		theirs->sa_sigaction(sig, si, uc);
		return;
	}
	if (theirs->sa_handler == SIG_DFL || theirs->sa_handler == SIG_IGN) {
		signals_die_by_default(sig);
		return;
	}
	theirs->sa_handler(sig);
}

/* ---- crash containment ---------------------------------------------------
 *
 * A fault inside an export kills only the simulated process that was
 * running: the thread leaves the handler (libsigsegv's sigsegv_leave_handler,
 * then longjmp) back to call_serve's frame for that export, which fails the
 * call with -EOWNERDEAD and marks the process crashed. What the crashed code
 * held — locks, half-written data — stays as it was. */

static void recover(void *thread, void *unused1, void *unused2)
{
	(void)unused1;
	(void)unused2;
	struct pf_thread *t = thread;
	longjmp(t->serving->recover, 1);
}

static void contain(struct pf_thread *t, int sig, uintptr_t addr, uintptr_t rip)
{
	t->crash_signal = sig;
	t->crash_addr = addr;
	t->crash_rip = rip;
	char buf[320];
	struct diag d;
	diag_start(&d, buf, sizeof buf);
	diag_str(&d, "pfipc: process ");
	diag_quoted(&d, t->serving->m->callee->name);
	diag_str(&d, " crashed in ");
	diag_quoted(&d, t->serving->m->entry->name);
	diag_str(&d, ": signal ");
	diag_dec(&d, sig);
	diag_str(&d, " at ");
	diag_hex(&d, addr);
	diag_str(&d, " (rip ");
	diag_hex(&d, rip);
	diag_str(&d, "); its callers get EOWNERDEAD");
	diag_write_stderr(&d);
	sigsegv_leave_handler(recover, t, NULL, NULL);
}

/* One line on stderr naming the process, the import, the address and the
 * instruction; then die the way the program would have died. */
static void refuse(struct pf_thread *t, uintptr_t rip, uintptr_t addr,
		   const struct pf_process *owner, const struct pf_import *imp,
		   const char *what)
{
	struct decoder *dec = t ? t->dec : NULL;
	if (!dec && !atomic_flag_test_and_set(&emergency_taken))
		dec = emergency_decoder;
	char text[160] = "execution inside the arena";
	if (arena_classify(rip).area == AREA_OUTSIDE)   /* never read the arena */
		decode_text(dec, rip, text, sizeof text);

	char buf[640];
	struct diag d;
	diag_start(&d, buf, sizeof buf);
	if (t) {
		diag_str(&d, "pfipc: process ");
		diag_quoted(&d, t->self->name);
		diag_str(&d, ": ");
	} else {
		diag_str(&d, "pfipc: a thread that belongs to no pfipc process ");
	}
	diag_str(&d, what);
	if (imp) {
		diag_str(&d, " import ");
		diag_quoted(&d, imp->entry->name);
	}
	if (owner) {
		diag_str(&d, " of process ");
		diag_quoted(&d, owner->name);
	}
	diag_str(&d, " at ");
	diag_hex(&d, addr);
	diag_str(&d, ": `");
	diag_str(&d, text);
	diag_str(&d, "` at ");
	diag_hex(&d, rip);
	diag_str(&d, " (only a call through a slot or to a gate is allowed)");
	diag_write_stderr(&d);
	if (t && t->serving)   /* a simulated process misbehaved: only it dies */
		contain(t, SIGSEGV, addr, rip);
	else
		signals_die_by_default(SIGSEGV);
}

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

static void enter_call(struct pf_thread *t, struct pf_import *imp,
		       ucontext_t *uc, uintptr_t stack_args, uintptr_t push_ret)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct call_msg *m = call_capture(t, imp, uc, stack_args);
	if (push_ret) {
		g[REG_RSP] -= 8;
		*(uint64_t *)g[REG_RSP] = push_ret;
	}
	g[REG_RIP] = (greg_t)(uintptr_t)pf_x86_await;
	g[REG_RDI] = (greg_t)(uintptr_t)m;
}

static void arena_fault(ucontext_t *uc, uintptr_t addr, struct arena_place pl)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct pf_thread *t = pf_current;
	struct pf_process *owner = process_by_index(pl.process);
	struct pf_import *imp = pl.area == AREA_OTHER ? NULL : import_at(owner, pl.slot);

	if (!t)
		return refuse(t, rip, addr, owner, imp, "called");
	if (!imp)
		return refuse(t, rip, addr, owner, NULL,
			      pl.area == AREA_OTHER ? "touched the middle of a slot or gate"
						    : "touched an empty slot or gate");
	if (pl.area == AREA_GATE) {
		if (rip != addr)
			return refuse(t, rip, addr, owner, imp, "read or wrote the gate of");
		enter_call(t, imp, uc, (uintptr_t)g[REG_RSP] + 8, 0);
		return;
	}
	if (arena_classify(rip).area != AREA_OUTSIDE)   /* never decode the arena */
		return refuse(t, rip, addr, owner, imp, "jumped into the slot of");
	struct insn in = { .kind = INSN_OTHER };
	if (!decode_at(t->dec, rip, &in) || in.kind == INSN_OTHER ||
	    insn_operand_address(&in, rip, g) != addr)
		return refuse(t, rip, addr, owner, imp,
			      in.prefix ? prefix_refusal(in.prefix) : "accessed the slot of");
	switch (in.kind) {
	case INSN_MOV_LOAD:
		g[in.dest] = (greg_t)imp->gate;
		g[REG_RIP] = (greg_t)(rip + in.len);
		return;
	case INSN_CALL_MEM:
		enter_call(t, imp, uc, (uintptr_t)g[REG_RSP], rip + in.len);
		return;
	case INSN_JMP_MEM:
		enter_call(t, imp, uc, (uintptr_t)g[REG_RSP] + 8, 0);
		return;
	}
}

static void on_fault_signal(int sig, siginfo_t *si, void *ucv)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct arena_place pl = arena_classify(addr);
	int saved_errno = errno;
	if (sig == SIGSEGV && pl.area != AREA_OUTSIDE) {
		arena_fault(ucv, addr, pl);
		errno = saved_errno;
		return;
	}
	/* si_code > 0: raised by the kernel for this instruction, not sent. */
	struct pf_thread *t = pf_current;
	if (t && t->serving && si->si_code > 0)
		contain(t, sig, addr, (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP]);
	pass_on(sig, si, ucv);
	errno = saved_errno;
}

int fault_install(void)
{
	emergency_decoder = decoder_open();
	return signals_install(on_fault_signal);
}
