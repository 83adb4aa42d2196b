#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "dispatch/stack_room.h"
#include "dispatch/restore.h"
#include "pf_limits.h"
#include "proc/thread.h"
#include "x86_64/abi.h"
#include "x86_64/regs.h"
#include "x86_64/xsave_frame.h"

/* The frame pf_x86_restore finds at rsp (abi.h's RESTORE_*). */
struct restore_frame {
	uint64_t tail;        /* rflags, rip: the caller's rsp - RED_ZONE - 16 */
	uint64_t xsave;       /* the FPU and vector state, 64-byte aligned */
	uint64_t rfbm;        /* its XSAVE components; 0: an FXSAVE image */
	restore_fn *fn;
	ucontext_t uc;        /* gregs, and fpregs pointing at xsave */
	alignas(16) unsigned char job[];
};
_Static_assert(offsetof(struct restore_frame, tail) == RESTORE_TAIL, "abi.h");
_Static_assert(offsetof(struct restore_frame, xsave) == RESTORE_XSAVE, "abi.h");
_Static_assert(offsetof(struct restore_frame, rfbm) == RESTORE_RFBM, "abi.h");
_Static_assert(offsetof(struct restore_frame, uc.uc_mcontext.gregs) == RESTORE_GREGS, "abi.h");
_Static_assert(REG_R8 == GREG_R8 && REG_R15 == GREG_R15 && REG_RDI == GREG_RDI &&
	       REG_RSI == GREG_RSI && REG_RBP == GREG_RBP && REG_RBX == GREG_RBX &&
	       REG_RDX == GREG_RDX && REG_RAX == GREG_RAX && REG_RCX == GREG_RCX &&
	       REG_RSP == GREG_RSP && REG_RIP == GREG_RIP, "abi.h");

/* How many bytes of FP to copy (an XSAVE area with its closing magic, so
 * that whoever reads the copy sees a whole frame) and its components. */
static size_t state_extent(const uint8_t *fp, uint64_t *components)
{
	uint32_t size = xsave_frame_size(fp);
	*components = size ? xsave_note(fp)->xfeatures : 0;
	return size ? size + sizeof(uint32_t) : FXSAVE_SIZE;
}

int dispatch_restore(struct pf_thread *t, ucontext_t *uc, restore_fn *fn,
		     const void *job, size_t len)
{
	greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	if (!fp)
		return -ENOTSUP;
	uint64_t components;
	size_t state = state_extent(fp, &components);
	if (state > LIMIT_RESTORE_XSTATE)
		return -ENOTSUP;
	uintptr_t sp = (uintptr_t)g[REG_RSP];
	uintptr_t tail = sp - RED_ZONE - 16;
	uintptr_t xsave = (tail - state) & ~(uintptr_t)63;
	uintptr_t frame = (xsave - sizeof(struct restore_frame) - len) & ~(uintptr_t)63;
	if (stack_no_room(t, frame))   /* the frame, and the work below it */
		return -EFAULT;
	/* The handler runs on the thread's alternate stack; were it on this
	 * one, the frame would overwrite the signal frame it returns by. */
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	if (here >= frame && here < sp)
		return -EFAULT;

	struct restore_frame *f = (struct restore_frame *)frame;
	memcpy((void *)xsave, fp, state);
	memcpy(&f->uc, uc, sizeof *uc);
	f->uc.uc_mcontext.fpregs = (fpregset_t)xsave;
	f->tail = tail;
	f->xsave = xsave;
	f->rfbm = components;
	f->fn = fn;
	memcpy(f->job, job, len);
	g[REG_RSP] = (greg_t)frame;
	g[REG_RIP] = (greg_t)(uintptr_t)pf_x86_restore;
	return 0;
}

/* From pf_x86_restore, in normal context. */
void dispatch_restore_run(struct restore_frame *f);
void dispatch_restore_run(struct restore_frame *f)
{
	int saved_errno = errno;   /* the program's: a load does not touch it */
	f->fn(&f->uc, f->job);
	uint64_t *tail = (uint64_t *)(uintptr_t)f->tail;
	tail[0] = (uint64_t)f->uc.uc_mcontext.gregs[REG_EFL];
	tail[1] = (uint64_t)f->uc.uc_mcontext.gregs[REG_RIP];
	errno = saved_errno;
}
