/*
 * Offsets shared by C and the assembly in this directory.
 *
 * Included by both: C checks every number with _Static_assert against
 * offsetof (call_regs.h), so neither side can drift from the other.
 */
#ifndef PF_X86_64_ABI_H
#define PF_X86_64_ABI_H

/* struct call_regs: the argument register image of one call. */
#define REGS_GPR        0   /* rdi, rsi, rdx, rcx, r8, r9: 6 x 8 bytes */
#define REGS_RAX        48  /* al = vector registers used (variadic calls) */
#define REGS_STACK_LEN  56  /* bytes of stack arguments, a multiple of 8 */
#define REGS_XMM        64  /* xmm0..xmm7: 8 x 16 bytes */
#define REGS_STACK      192 /* the stack arguments themselves */

/* struct call_result: what the callee leaves in its return registers. */
#define RESULT_RAX      0
#define RESULT_RDX      8
#define RESULT_XMM0     16
#define RESULT_XMM1     32
#define RESULT_ST0      48  /* x87 values, 80 bits in 16 bytes each: st0 */
#define RESULT_ST1      64  /* and st1 (a long double _Complex's imaginary) */
#define RESULT_X87      80  /* how many of those hold a value: 0, 1 or 2 */
#define RESULT_SIZE     96

/* The await trampoline keeps a call_result on its own stack: RESULT_SIZE
 * plus 8 so that the C call it makes sees a 16-byte aligned stack (it is
 * entered like a function, with rsp = 8 mod 16). */
#define AWAIT_FRAME     (RESULT_SIZE + 8)

/* What an entry that was no CALL (a syscall or int instruction) leaves for
 * pf_x86_await_jump below the caller's red zone, which it must not touch
 * (System V lets a function keep data in the 128 bytes below rsp): where
 * to go back to, at the trampoline's (%rsp) as a return address would be,
 * and the caller's own rsp, restored exactly before the jump back. */
#define RED_ZONE        128
#define JUMP_TO         0
#define JUMP_RSP        8
#define JUMP_FRAME      16

/* An export run in place (dispatch/in_place.c): on the caller's own thread,
 * straight from the fault handler, without the await trampoline. Below the
 * caller's stack (and below its red zone, for an entry that was no CALL)
 * the handler lays out
 *     the callee's rsp -> return address: pf_x86_in_place_return
 *                         the stack arguments (IN_PLACE_ARGS bytes kept)
 *     rsp + 8 + IN_PLACE_ARGS -> struct in_place: IN_PLACE_RET_TO, where
 *                         to go back to, and IN_PLACE_RET_RSP, the rsp
 *                         to go back with
 * so that the return trampoline, and its CFI, find the record at a fixed
 * offset from the rsp the callee's RET leaves. */
#define IN_PLACE_ARGS     512   /* PF_MAX_STACK_BYTES */
#define IN_PLACE_RET_TO   0
#define IN_PLACE_RET_RSP  8

/* The frame a window access leaves below the caller's red zone for
 * pf_x86_restore (dispatch/restore.h): the instruction is carried out in
 * normal context, then every register comes back from here, as a
 * sigreturn would bring it back. At the frame's start: */
#define RESTORE_TAIL    0   /* where two words wait: rflags, then rip; the
			       caller's rsp - RED_ZONE - 16 */
#define RESTORE_XSAVE   8   /* the FPU and vector state as the signal frame
			       held it (64-byte aligned) */
#define RESTORE_RFBM    16  /* the XSAVE components it holds, for xrstor;
			       0: an FXSAVE image (fxrstor) */
#define RESTORE_GREGS   72  /* the general registers: a ucontext's gregs */

/* glibc's REG_* indices into gregs (sys/ucontext.h), for the assembly. */
#define GREG_R8   0
#define GREG_R9   1
#define GREG_R10  2
#define GREG_R11  3
#define GREG_R12  4
#define GREG_R13  5
#define GREG_R14  6
#define GREG_R15  7
#define GREG_RDI  8
#define GREG_RSI  9
#define GREG_RBP  10
#define GREG_RBX  11
#define GREG_RDX  12
#define GREG_RAX  13
#define GREG_RCX  14
#define GREG_RSP  15
#define GREG_RIP  16

/* What normal C code expects of the floating-point state (the trampoline
 * sets it before calling C; the program's comes back with the rest). */
#define MXCSR_DEFAULT   0x1f80
#define RFLAGS_AC       0x40000

/* x87 status word condition bits C3, C2, C0 after FXAM; "empty" is C3=1,
 * C2=0, C0=1. C1 is left out: it is the sign of whatever the register last
 * held, even when the register is empty. */
#define X87_CC_MASK     0x4500
#define X87_CC_EMPTY    0x4100

#endif
