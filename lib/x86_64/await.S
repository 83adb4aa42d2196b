/*
 * pf_x86_await: where a faulting caller resumes.
 *
 * The fault handler rewrites the caller's context so that it looks as if
 * the caller had CALLed this routine: the return address is at (%rsp) and
 * rdi holds the call's message. We are in normal context here (the signal
 * has returned), so call_await may block, take locks and serve calls.
 * Only caller-saved registers are touched, exactly as a real callee would.
 */
#include "x86_64/abi.h"
#include "x86_64/result.inc"

	.text
	.globl	pf_x86_await
	.hidden	pf_x86_await
	.type	pf_x86_await, @function
pf_x86_await:
	.cfi_startproc
	sub	$AWAIT_FRAME, %rsp	/* a call_result, and 16-byte alignment */
	.cfi_def_cfa_offset AWAIT_FRAME+8
	mov	%rsp, %rsi		/* call_await(msg = rdi, result = rsi) */
	call	call_await
	load_result			/* the callee's return registers */
	add	$AWAIT_FRAME, %rsp
	.cfi_def_cfa_offset 8
	ret				/* to the instruction after the caller's CALL */
	.cfi_endproc
	.size	pf_x86_await, .-pf_x86_await


/*
 * pf_x86_await_jump: the same for an entry that was no CALL (a syscall or
 * int instruction, raw or in a stub). The handler left a frame below the
 * caller's red zone (abi.h): at (%rsp) the address to go back to, as a
 * return address would be, and at JUMP_RSP(%rsp) the caller's own rsp.
 * Only caller-saved registers change; rsp comes back exactly, and r11 is
 * zero, which tells a stub that its call was dispatched (entry/pages.h).
 *
 * The CFI says where the caller's frame really is, so that a debugger
 * unwinds from here to the entry site: the CFA is the saved rsp (not this
 * frame plus 8) and the return address is at the frame's bottom.
 *   DW_CFA_def_cfa_expression: DW_OP_breg7 (rsp) N; DW_OP_deref
 *   DW_CFA_expression r16 (rip): DW_OP_breg7 M
 * with N, M as two-byte SLEB128 (both below 8192).
 */
	.macro	cfa_jump_frame at
	.cfi_escape 0x0f, 4, 0x77, ((\at + JUMP_RSP) & 0x7f) | 0x80, (\at + JUMP_RSP) >> 7, 0x06
	.cfi_escape 0x10, 16, 3, 0x77, ((\at + JUMP_TO) & 0x7f) | 0x80, (\at + JUMP_TO) >> 7
	.endm

	.globl	pf_x86_await_jump
	.hidden	pf_x86_await_jump
	.type	pf_x86_await_jump, @function
pf_x86_await_jump:
	.cfi_startproc
	cfa_jump_frame 0
	sub	$AWAIT_FRAME, %rsp	/* a call_result, and 16-byte alignment */
	cfa_jump_frame AWAIT_FRAME
	mov	%rsp, %rsi		/* call_await(msg = rdi, result = rsi) */
	call	call_await
	load_result
	add	$AWAIT_FRAME, %rsp
	cfa_jump_frame 0
	mov	JUMP_TO(%rsp), %rcx	/* where the entry was: rcx is scratch */
	xor	%r11d, %r11d		/* dispatched (flags are scratch too) */
	mov	JUMP_RSP(%rsp), %rsp	/* the caller's rsp, exactly */
	.cfi_def_cfa %rsp, 0
	.cfi_register %rip, %rcx
	jmp	*%rcx
	.cfi_endproc
	.size	pf_x86_await_jump, .-pf_x86_await_jump

	.section .note.GNU-stack, "", @progbits
