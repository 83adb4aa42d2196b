/*
 * Offsets shared by C and the assembly in this directory (the i386 build).
 *
 * Included by both: C checks every number with _Static_assert against
 * offsetof (regs.h), so neither side can drift from the other.
 */
#ifndef PF_I386_ABI_H
#define PF_I386_ABI_H

/* struct call_regs: the argument register image of one call. A cdecl call
 * passes everything on the stack; eax, edx and ecx are carried too, for a
 * callee built with -mregparm=N (eax, edx, ecx in that order) or declared
 * fastcall (ecx, edx), whose caller put arguments there. */
#define REGS_GPR        0   /* eax, edx, ecx: 3 x 4 bytes */
#define REGS_STACK_LEN  12  /* bytes of stack arguments, a multiple of 4 */
#define REGS_STACK      16  /* the stack arguments themselves */

/* struct call_result: what the callee leaves in its return registers, and
 * how many bytes of its arguments it popped (ret $N: the hidden pointer
 * of a struct result, or all of them for stdcall and fastcall), which the
 * caller's code expects to have been popped when the call returns. */
#define RESULT_EAX      0
#define RESULT_EDX      4
#define RESULT_ST0      8   /* x87 values, 80 bits in 16 bytes each: st0 */
#define RESULT_ST1      24  /* and st1 (a _Complex's imaginary part) */
#define RESULT_X87      40  /* how many of those hold a value: 0, 1 or 2 */
#define RESULT_POP      44  /* bytes of arguments the callee popped */
#define RESULT_SIZE     48

/* The await trampoline keeps a call_result on its own stack, 16-byte
 * aligned, with room below it for call_await's two arguments. */
#define AWAIT_FRAME     (RESULT_SIZE + 16)

/* What an entry that was no CALL (an int instruction, raw or in a stub)
 * leaves for pf_i386_await_jump below the caller's esp (i386 has no red
 * zone): where to go back to, at the trampoline's (%esp) as a return
 * address would be, and the caller's own esp, restored exactly. */
#define RED_ZONE        0
#define JUMP_TO         0
#define JUMP_SP         4
#define JUMP_FRAME      8

/* x87 status word condition bits C3, C2, C0 after FXAM; "empty" is C3=1,
 * C2=0, C0=1 (C1 is the sign of whatever the register last held). */
#define X87_CC_MASK     0x4500
#define X87_CC_EMPTY    0x4100

#endif
