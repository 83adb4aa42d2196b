/*
 * pf_i386_await: where a faulting caller resumes.
 *
 * The fault handler rewrites the caller's context so that it looks as if
 * the caller had CALLed this routine: the return address is at (%esp) and
 * eax holds the call's message. We are in normal context here (the signal
 * has returned), so call_await may block, take locks and serve calls. Only
 * eax, ecx, edx change (and the x87 stack carries the result), exactly as
 * for a real callee; and the caller finds the argument bytes popped that
 * the callee popped (RESULT_POP: a struct result's hidden pointer, or the
 * arguments of a stdcall or fastcall function).
 *
 * The frame:   4(%ebp)  the return address
 *              0(%ebp)  the caller's ebp
 *              ...      a call_result at AWAIT_FRAME below, 16-aligned
 */
#include "i386/abi.h"
#include "i386/result.inc"

/* Enter: a frame, a call_result, call_await(msg = eax, result). Leaves
 * the result's address in ecx. */
	.macro	await_call
	push	%ebp
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebp, 0
	mov	%esp, %ebp
	.cfi_def_cfa_register %ebp
	and	$-16, %esp		/* C code expects 16-byte alignment */
	sub	$AWAIT_FRAME, %esp
	lea	16(%esp), %ecx		/* the call_result */
	mov	%eax, 0(%esp)		/* call_await(msg, result) */
	mov	%ecx, 4(%esp)
	call	call_await
	lea	16(%esp), %ecx
	.endm

	.text
	.globl	pf_i386_await
	.hidden	pf_i386_await
	.type	pf_i386_await, @function
pf_i386_await:
	.cfi_startproc
	await_call
	/* The return address goes up by the bytes the callee popped, over
	 * the last of those (dead to the caller now), and esp with it. */
	mov	RESULT_POP(%ecx), %edx
	mov	4(%ebp), %eax
	mov	%eax, 4(%ebp,%edx)
	lea	4(%ebp,%edx), %eax
	mov	0(%ebp), %ebp		/* the caller's ebp */
	.cfi_def_cfa %eax, 4
	.cfi_same_value %ebp
	push	%eax			/* keep where esp goes: edx:eax are results */
	/* CFA = *(esp) + 4: DW_OP_breg4 (esp) 0; DW_OP_deref; DW_OP_plus_uconst 4 */
	.cfi_escape 0x0f, 5, 0x74, 0x00, 0x06, 0x23, 0x04
	load_result %ecx		/* eax, edx, st0/st1 */
	pop	%ecx
	.cfi_def_cfa %ecx, 4
	mov	%ecx, %esp
	.cfi_def_cfa %esp, 4
	ret				/* after the caller's CALL */
	.cfi_endproc
	.size	pf_i386_await, .-pf_i386_await


/*
 * pf_i386_await_jump: the same for an entry that was no CALL (an int
 * instruction, raw or in a stub). The handler left a frame below the
 * caller's esp (abi.h): at (%esp) the address to go back to, as a return
 * address would be, and at JUMP_SP(%esp) the caller's own esp. Only eax,
 * ecx, edx change (ecx comes back zero); esp comes back exactly. (A stub's
 * call returns through pf_i386_await instead: entry/enter.c.)
 */
	.globl	pf_i386_await_jump
	.hidden	pf_i386_await_jump
	.type	pf_i386_await_jump, @function
pf_i386_await_jump:
	.cfi_startproc
	await_call
	mov	%ebp, %edx
	mov	0(%ebp), %ebp		/* the caller's ebp */
	.cfi_same_value %ebp
	mov	4+JUMP_SP(%edx), %eax	/* the caller's esp, exactly */
	mov	4+JUMP_TO(%edx), %edx	/* where the entry was */
	push	%eax
	push	%edx
	/* CFA = *(esp + 4), the caller's esp: DW_OP_breg4 4; DW_OP_deref;
	 * where it goes back to, at (esp): DW_OP_breg4 0 */
	.cfi_escape 0x0f, 3, 0x74, 0x04, 0x06
	.cfi_escape 0x10, 8, 2, 0x74, 0x00
	load_result %ecx
	pop	%ecx			/* where to go */
	.cfi_escape 0x0f, 3, 0x74, 0x00, 0x06
	.cfi_register %eip, %ecx
	mov	(%esp), %esp		/* the caller's esp */
	.cfi_def_cfa %esp, 0
	push	%ecx			/* one word below the caller's esp: */
	.cfi_def_cfa_offset 4
	.cfi_offset %eip, -4
	mov	$0, %ecx		/* dead memory for a caller that made no */
	ret				/* CALL; ret restores esp exactly */
	.cfi_endproc
	.size	pf_i386_await_jump, .-pf_i386_await_jump

	.section .note.GNU-stack, "", @progbits
