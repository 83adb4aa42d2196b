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
	mov	RESULT_RDX(%rsp), %rdx	/* the callee's return registers */
	movdqu	RESULT_XMM0(%rsp), %xmm0
	movdqu	RESULT_XMM1(%rsp), %xmm1
	cmpq	$2, RESULT_X87(%rsp)	/* x87 values, pushed bottom first: */
	jb	1f
	fldt	RESULT_ST1(%rsp)	/* a long double _Complex's imaginary part */
1:	cmpq	$1, RESULT_X87(%rsp)
	jb	2f
	fldt	RESULT_ST0(%rsp)	/* a long double, or the real part: st0 */
2:
	mov	RESULT_RAX(%rsp), %rax
	add	$AWAIT_FRAME, %rsp
	.cfi_def_cfa_offset 8
	ret				/* to the instruction after the caller's CALL */
	.cfi_endproc
	.size	pf_x86_await, .-pf_x86_await

	.section .note.GNU-stack, "", @progbits
