/*
 * pf_x86_invoke(fn, regs, result): call FN with exactly the argument
 * register image and stack bytes in REGS, and record its return registers
 * in RESULT.
 *
 * This is what lets one server loop run every signature without a stub per
 * signature: System V x86-64 passes arguments in rdi..r9, xmm0..7 and a
 * stack area that starts at rsp at the CALL, and returns in rax, rdx,
 * xmm0, xmm1, st0 (long double) and st0:st1 (long double _Complex). We
 * reproduce the first and capture the second, and leave this thread's x87
 * stack empty whatever the callee did with it.
 */
#include "x86_64/abi.h"
#include "x86_64/result.inc"

	.text
	.globl	pf_x86_invoke
	.hidden	pf_x86_invoke
	.type	pf_x86_invoke, @function
pf_x86_invoke:
	.cfi_startproc
	push	%rbp			/* frame pointer: we move rsp freely below */
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx			/* rbx: the register image (callee-saved) */
	push	%r12			/* r12: where the result goes */
	push	%r13			/* r13: the function */
	push	%r14			/* pad: keeps rsp 16-byte aligned */
	.cfi_offset %rbx, -24
	.cfi_offset %r12, -32
	.cfi_offset %r13, -40
	.cfi_offset %r14, -48
	mov	%rsi, %rbx
	mov	%rdx, %r12
	mov	%rdi, %r13

	/* Make room for the stack arguments; the ABI wants rsp 16-byte
	 * aligned at the CALL, with the first stack argument at (%rsp). */
	mov	REGS_STACK_LEN(%rbx), %rcx
	mov	%rsp, %rax
	sub	%rcx, %rax
	and	$-16, %rax
	mov	%rax, %rsp
	lea	REGS_STACK(%rbx), %rsi	/* copy rcx bytes: image -> stack */
	mov	%rsp, %rdi
	rep movsb			/* DF is clear by the ABI */

	movdqu	REGS_XMM+0x00(%rbx), %xmm0	/* floating arguments */
	movdqu	REGS_XMM+0x10(%rbx), %xmm1
	movdqu	REGS_XMM+0x20(%rbx), %xmm2
	movdqu	REGS_XMM+0x30(%rbx), %xmm3
	movdqu	REGS_XMM+0x40(%rbx), %xmm4
	movdqu	REGS_XMM+0x50(%rbx), %xmm5
	movdqu	REGS_XMM+0x60(%rbx), %xmm6
	movdqu	REGS_XMM+0x70(%rbx), %xmm7
	mov	REGS_GPR+0x00(%rbx), %rdi	/* integer arguments */
	mov	REGS_GPR+0x08(%rbx), %rsi
	mov	REGS_GPR+0x10(%rbx), %rdx
	mov	REGS_GPR+0x18(%rbx), %rcx
	mov	REGS_GPR+0x20(%rbx), %r8
	mov	REGS_GPR+0x28(%rbx), %r9
	mov	REGS_RAX(%rbx), %rax		/* al: vector count for varargs */
	call	*%r13

	store_result %r12
	lea	-32(%rbp), %rsp			/* drop the argument area */
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	pf_x86_invoke, .-pf_x86_invoke

	.section .note.GNU-stack, "", @progbits
