/* pfwrap_first_call - a thread's first call into the wrapped library.
 *
 * A stub jumps here when the thread has no table yet, with r11 = the
 * function's index and everything else exactly as the program's call left
 * it: arguments in rdi, rsi, rdx, rcx, r8, r9 and xmm0-7, al = the number of
 * vector registers a variadic call uses, r10 = a static chain, the return
 * address at (%rsp) and stack arguments above it. The table comes from C
 * (pfwrap_table_for_thread), which may call anything, so all of those are
 * kept around the call; then the code continues as the stub would have,
 * with a jump through the function's slot, the stack untouched. */
	.text
	.globl	pfwrap_first_call
	.hidden	pfwrap_first_call
	.type	pfwrap_first_call, @function
	.p2align 4
pfwrap_first_call:
	.cfi_startproc
	pushq	%rbp			/* a frame, so the saves below are at fixed offsets */
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq	%rdi			/* -8(%rbp): integer arguments ... */
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9			/* ... -48(%rbp) */
	pushq	%rax			/* -56: al of a variadic call */
	pushq	%r10			/* -64: static chain */
	pushq	%r11			/* -72: the function's index */
	subq	$136, %rsp		/* xmm0-7, and rsp a multiple of 16 for the call */
	movdqu	%xmm0, 0(%rsp)
	movdqu	%xmm1, 16(%rsp)
	movdqu	%xmm2, 32(%rsp)
	movdqu	%xmm3, 48(%rsp)
	movdqu	%xmm4, 64(%rsp)
	movdqu	%xmm5, 80(%rsp)
	movdqu	%xmm6, 96(%rsp)
	movdqu	%xmm7, 112(%rsp)
	call	pfwrap_table_for_thread	/* rax = this thread's table */
	movq	-72(%rbp), %rcx		/* the function's index */
	movq	(%rax,%rcx,8), %rax	/* where the stub jumps through */
	movq	%rax, -72(%rbp)		/* r11 comes back holding it */
	movdqu	0(%rsp), %xmm0
	movdqu	16(%rsp), %xmm1
	movdqu	32(%rsp), %xmm2
	movdqu	48(%rsp), %xmm3
	movdqu	64(%rsp), %xmm4
	movdqu	80(%rsp), %xmm5
	movdqu	96(%rsp), %xmm6
	movdqu	112(%rsp), %xmm7
	addq	$136, %rsp
	popq	%r11
	popq	%r10
	popq	%rax
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	jmp	*(%r11)			/* as the stub: through the slot, into pfipc */
	.cfi_endproc
	.size	pfwrap_first_call, .-pfwrap_first_call

	.section .note.GNU-stack, "", @progbits
