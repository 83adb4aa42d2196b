/*
 * Where an export run in place (dispatch/in_place.c) returns to, and where
 * a crash inside one resumes. Both end by jumping back to the caller with
 * the rsp it expects; only caller-saved registers change (r10 and rcx carry
 * the way back, r11 is zero: a stub of a syscall or int entry reads that as
 * "dispatched", entry/pages.h), exactly as for a call through the await
 * trampoline.
 */
#include "x86_64/abi.h"
#include "x86_64/result.inc"

/* Unwinding from inside the export: the caller's frame is described by the
 * record at rsp + IN_PLACE_ARGS (abi.h): CFA = its RET_RSP, the return
 * address is at its RET_TO. \at is how far rsp has moved down since.
 *   DW_CFA_def_cfa_expression: DW_OP_breg7 (rsp) N; DW_OP_deref
 *   DW_CFA_expression r16 (rip): DW_OP_breg7 M
 * with N, M as two-byte SLEB128. */
	.macro	cfa_in_place at
	.cfi_escape 0x0f, 4, 0x77, ((\at + IN_PLACE_ARGS + IN_PLACE_RET_RSP) & 0x7f) | 0x80, (\at + IN_PLACE_ARGS + IN_PLACE_RET_RSP) >> 7, 0x06
	.cfi_escape 0x10, 16, 3, 0x77, ((\at + IN_PLACE_ARGS + IN_PLACE_RET_TO) & 0x7f) | 0x80, (\at + IN_PLACE_ARGS + IN_PLACE_RET_TO) >> 7
	.endm

	.text
	.globl	pf_x86_in_place_return
	.hidden	pf_x86_in_place_return
	.type	pf_x86_in_place_return, @function
	.cfi_startproc
	cfa_in_place 0
	/* An unwinder looks up a return address minus one: keep that byte
	 * inside this description. */
	nop
pf_x86_in_place_return:
	/* The export returned here: rsp is 16-byte aligned (it was entered
	 * with rsp = 8 mod 16, as after a CALL). */
	sub	$RESULT_SIZE, %rsp	/* a call_result; still aligned */
	cfa_in_place RESULT_SIZE
	store_result %rsp		/* its return registers, x87 included */
	call	in_place_finish		/* rax: where to go, rdx: with which rsp */
	mov	%rax, %r10
	mov	%rdx, %rcx
	load_result
	xor	%r11d, %r11d		/* dispatched */
	mov	%rcx, %rsp
	.cfi_def_cfa %rsp, 0
	.cfi_register %rip, %r10
	jmp	*%r10
	.cfi_endproc
	.size	pf_x86_in_place_return, .-pf_x86_in_place_return

/*
 * A crash inside the export: the handler has put back the caller's
 * callee-saved registers and control words, emptied the x87 stack, and
 * made rsp = 8 mod 16 just below the record, as for a function's entry.
 */
	.globl	pf_x86_in_place_crashed
	.hidden	pf_x86_in_place_crashed
	.type	pf_x86_in_place_crashed, @function
pf_x86_in_place_crashed:
	.cfi_startproc
	.cfi_undefined %rip		/* the export's frames are gone */
	sub	$8, %rsp
	call	in_place_crashed	/* rax: where to go, rdx: with which rsp */
	mov	%rax, %r10
	mov	%rdx, %rcx
	xor	%eax, %eax		/* a failed call returns zeros */
	xor	%edx, %edx
	pxor	%xmm0, %xmm0
	pxor	%xmm1, %xmm1
	xor	%r11d, %r11d		/* dispatched */
	mov	%rcx, %rsp
	jmp	*%r10
	.cfi_endproc
	.size	pf_x86_in_place_crashed, .-pf_x86_in_place_crashed

	.section .note.GNU-stack, "", @progbits
