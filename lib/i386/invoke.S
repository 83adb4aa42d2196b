/*
 * pf_i386_invoke(fn, regs, result): call FN with exactly the stack bytes and
 * the eax, edx, ecx in REGS, and record its return registers in RESULT,
 * with how many bytes of its arguments it popped.
 *
 * This is what lets one server loop run every i386 signature without a
 * stub per signature: cdecl passes every argument on the stack, starting
 * at esp at the CALL (-mregparm=N and fastcall put the first ones in eax,
 * edx, ecx); results come back in eax, edx:eax or st0 (st0:st1 for a
 * _Complex). A callee may pop some of its arguments itself: `ret $4` for
 * the hidden pointer of a struct result, `ret $N` for stdcall and
 * fastcall. The frame pointer makes that harmless here, and the
 * difference in esp tells the caller's trampoline what to pop for it.
 */
#include "i386/abi.h"
#include "i386/result.inc"

	.text
	.globl	pf_i386_invoke
	.hidden	pf_i386_invoke
	.type	pf_i386_invoke, @function
pf_i386_invoke:
	.cfi_startproc
	push	%ebp			/* frame pointer: we move esp freely below */
	.cfi_def_cfa_offset 8
	.cfi_offset %ebp, -8
	mov	%esp, %ebp
	.cfi_def_cfa_register %ebp
	push	%ebx			/* callee-saved registers we use */
	push	%esi
	push	%edi
	.cfi_offset %ebx, -12
	.cfi_offset %esi, -16
	.cfi_offset %edi, -20
	mov	12(%ebp), %ebx		/* ebx: the register image */

	/* Make room for the stack arguments, esp 16-byte aligned at the
	 * CALL with the first argument at (%esp). */
	mov	REGS_STACK_LEN(%ebx), %ecx
	mov	%esp, %eax
	sub	%ecx, %eax
	and	$-16, %eax
	mov	%eax, %esp
	lea	REGS_STACK(%ebx), %esi	/* copy ecx bytes: image -> stack */
	mov	%esp, %edi
	rep movsb			/* DF is clear by the ABI */

	mov	%esp, %edi		/* edi: esp at the CALL (callee-saved) */
	mov	8(%ebp), %esi		/* esi: the function */
	mov	REGS_GPR+0(%ebx), %eax	/* register arguments, if any */
	mov	REGS_GPR+4(%ebx), %edx
	mov	REGS_GPR+8(%ebx), %ecx
	call	*%esi

	mov	16(%ebp), %ebx		/* ebx: where the result goes */
	mov	%esp, %esi		/* what the callee popped */
	sub	%edi, %esi
	mov	%esi, RESULT_POP(%ebx)
	store_result %ebx
	lea	-12(%ebp), %esp		/* drop the argument area */
	pop	%edi
	pop	%esi
	pop	%ebx
	pop	%ebp
	.cfi_def_cfa %esp, 4
	ret
	.cfi_endproc
	.size	pf_i386_invoke, .-pf_i386_invoke

	.section .note.GNU-stack, "", @progbits
