/*
 * pf_x86_restore: where a thread resumes when its faulting instruction
 * is carried out in normal context (a window access), and how it gets
 * every register back afterwards.
 *
 * The fault handler left a frame at (%rsp) (abi.h, RESTORE_*), below the
 * caller's red zone: the general registers, the FPU and vector state as
 * the kernel saved them in the signal frame, and the two words at
 * RESTORE_TAIL, just below the red zone, that rflags and rip go into.
 * dispatch_restore_run performs the instruction (it may wait, take locks,
 * serve calls) and writes the result into the frame; then this code does
 * what sigreturn would have done: xrstor (or fxrstor) the vector state,
 * load the general registers, and leave through the tail with popfq and
 * `ret $RED_ZONE`, which lands on the caller's own rsp with nothing above
 * the tail touched. A load or store is no call: no register may change
 * but those the instruction writes, and none does.
 *
 * The CFI describes the caller's frame, so that a debugger unwinds from
 * here to the instruction, as through a signal frame (the caller's rip is
 * the faulting instruction, not a return address): the CFA is the saved
 * rsp, and rip and every general register (which the C code below may
 * change) are saved in the frame's gregs, at fixed offsets from the
 * frame, which rbx holds.
 *   DW_CFA_def_cfa_expression: DW_OP_bregN GREGS+8*RSP; DW_OP_deref
 *   DW_CFA_expression rip:     DW_OP_bregN GREGS+8*RIP
 *   DW_CFA_expression reg:     DW_OP_breg3 GREGS+8*REG
 * (N: 7 for rsp, 3 for rbx; each offset a two-byte SLEB128.) From the
 * tail on, the saved rip is the one after the instruction, and the CFA
 * is plain rsp-relative.
 */
#include "x86_64/abi.h"

	.macro	cfa_via breg
	.cfi_escape 0x0f, 4, 0x70 + \breg, ((RESTORE_GREGS + 8 * GREG_RSP) & 0x7f) | 0x80, (RESTORE_GREGS + 8 * GREG_RSP) >> 7, 0x06
	.cfi_escape 0x10, 16, 3, 0x70 + \breg, ((RESTORE_GREGS + 8 * GREG_RIP) & 0x7f) | 0x80, (RESTORE_GREGS + 8 * GREG_RIP) >> 7
	.endm
	.macro	saved_in_frame dwreg, greg
	.cfi_escape 0x10, \dwreg, 3, 0x73, ((RESTORE_GREGS + 8 * \greg) & 0x7f) | 0x80, (RESTORE_GREGS + 8 * \greg) >> 7
	.endm

	.section .rodata
	.balign	4
mxcsr_default:
	.long	MXCSR_DEFAULT

	.text
	.globl	pf_x86_restore
	.hidden	pf_x86_restore
	.type	pf_x86_restore, @function
pf_x86_restore:
	.cfi_startproc
	.cfi_signal_frame
	cfa_via 7
	mov	%rsp, %rbx		/* the frame, kept across the C call */
	cfa_via 3			/* DWARF numbers: rax 0, rdx 1, rcx 2, ... */
	saved_in_frame 0, GREG_RAX
	saved_in_frame 1, GREG_RDX
	saved_in_frame 2, GREG_RCX
	saved_in_frame 3, GREG_RBX
	saved_in_frame 4, GREG_RSI
	saved_in_frame 5, GREG_RDI
	saved_in_frame 6, GREG_RBP
	saved_in_frame 8, GREG_R8
	saved_in_frame 9, GREG_R9
	saved_in_frame 10, GREG_R10
	saved_in_frame 11, GREG_R11
	saved_in_frame 12, GREG_R12
	saved_in_frame 13, GREG_R13
	saved_in_frame 14, GREG_R14
	saved_in_frame 15, GREG_R15
	/* The C code below expects what the ABI promises at a call: DF
	 * and AC clear, the default MXCSR, an empty x87 stack. The
	 * program's own come back with xrstor and popfq. */
	fninit
	ldmxcsr	mxcsr_default(%rip)
	cld
	pushfq
	andq	$~RFLAGS_AC, (%rsp)
	popfq
	and	$-16, %rsp		/* the call wants rsp 16-byte aligned */
	mov	%rbx, %rdi		/* dispatch_restore_run(frame) */
	call	dispatch_restore_run
	mov	%rbx, %rsp

	mov	RESTORE_XSAVE(%rsp), %rcx
	mov	RESTORE_RFBM(%rsp), %rax
	test	%rax, %rax
	jz	1f
	mov	%rax, %rdx		/* xrstor's component mask: edx:eax */
	shr	$32, %rdx
	xrstor64 (%rcx)			/* x87, SSE, AVX, AVX-512, ... as saved */
	jmp	2f
1:	fxrstor64 (%rcx)		/* no XSAVE frame: x87 and SSE */
2:
	mov	RESTORE_GREGS + 8 * GREG_R8(%rsp), %r8
	mov	RESTORE_GREGS + 8 * GREG_R9(%rsp), %r9
	mov	RESTORE_GREGS + 8 * GREG_R10(%rsp), %r10
	mov	RESTORE_GREGS + 8 * GREG_R11(%rsp), %r11
	mov	RESTORE_GREGS + 8 * GREG_R12(%rsp), %r12
	mov	RESTORE_GREGS + 8 * GREG_R13(%rsp), %r13
	mov	RESTORE_GREGS + 8 * GREG_R14(%rsp), %r14
	mov	RESTORE_GREGS + 8 * GREG_R15(%rsp), %r15
	mov	RESTORE_GREGS + 8 * GREG_RDI(%rsp), %rdi
	mov	RESTORE_GREGS + 8 * GREG_RSI(%rsp), %rsi
	mov	RESTORE_GREGS + 8 * GREG_RBP(%rsp), %rbp
	mov	RESTORE_GREGS + 8 * GREG_RDX(%rsp), %rdx
	mov	RESTORE_GREGS + 8 * GREG_RAX(%rsp), %rax
	mov	RESTORE_GREGS + 8 * GREG_RCX(%rsp), %rcx
	cfa_via 7			/* rbx is about to be the program's */
	mov	RESTORE_GREGS + 8 * GREG_RBX(%rsp), %rbx
	.irp	r, rax, rdx, rcx, rbx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
	.cfi_same_value %\r
	.endr
	mov	RESTORE_TAIL(%rsp), %rsp /* the tail: rflags, rip */
	.cfi_def_cfa %rsp, 16 + RED_ZONE
	.cfi_offset %rip, -(8 + RED_ZONE)
	popfq				/* the flags the instruction left */
	.cfi_def_cfa_offset 8 + RED_ZONE
	ret	$RED_ZONE		/* to rip, with rsp the caller's own */
	.cfi_endproc
	.size	pf_x86_restore, .-pf_x86_restore

	.section .note.GNU-stack, "", @progbits
