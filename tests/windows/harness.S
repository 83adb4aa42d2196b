/* Run one instruction with every general register, rflags and every
 * vector register set from h_in, and store them all to h_out.
 *
 * The instruction may use any register, rsp included, as data or as an
 * address, so between loading h_in and storing h_out nothing here touches a
 * register or the stack: the state is read and written rip-relative, the
 * jump to the instruction is through memory, and the instruction comes
 * back with an absolute jump (ff 25) placed right after it. The caller's
 * stack pointer waits in h_host_rsp; rflags are loaded before the general
 * registers (popfq needs the stack) and stored after the stack is back. */
#include "harness.h"

	.bss
	.balign 64
	.globl h_in, h_out, h_code, h_avx
h_in:	.zero H_SIZE
	.balign 64
h_out:	.zero H_SIZE
h_code:	.quad 0
h_host_rsp: .quad 0
h_avx:	.byte 0

	.text
	.globl harness_run, harness_back
	.type harness_run, @function
harness_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, h_host_rsp(%rip)

	cmpb $0, h_avx(%rip)
	je 1f
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu h_in+H_VEC+\n*32(%rip), %ymm\n
	.endr
	jmp 2f
1:	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu h_in+H_VEC+\n*32(%rip), %xmm\n
	.endr
2:	pushq h_in+H_FLAGS(%rip)       /* flags first: popfq needs the stack */
	popfq
	mov h_in+0*8(%rip), %rax       /* mov leaves the flags alone */
	mov h_in+1*8(%rip), %rcx
	mov h_in+2*8(%rip), %rdx
	mov h_in+3*8(%rip), %rbx
	mov h_in+5*8(%rip), %rbp
	mov h_in+6*8(%rip), %rsi
	mov h_in+7*8(%rip), %rdi
	mov h_in+8*8(%rip), %r8
	mov h_in+9*8(%rip), %r9
	mov h_in+10*8(%rip), %r10
	mov h_in+11*8(%rip), %r11
	mov h_in+12*8(%rip), %r12
	mov h_in+13*8(%rip), %r13
	mov h_in+14*8(%rip), %r14
	mov h_in+15*8(%rip), %r15
	mov h_in+4*8(%rip), %rsp       /* last: from here on no stack */
	jmp *h_code(%rip)

harness_back:
	mov %rax, h_out+0*8(%rip)
	mov %rcx, h_out+1*8(%rip)
	mov %rdx, h_out+2*8(%rip)
	mov %rbx, h_out+3*8(%rip)
	mov %rsp, h_out+4*8(%rip)
	mov %rbp, h_out+5*8(%rip)
	mov %rsi, h_out+6*8(%rip)
	mov %rdi, h_out+7*8(%rip)
	mov %r8, h_out+8*8(%rip)
	mov %r9, h_out+9*8(%rip)
	mov %r10, h_out+10*8(%rip)
	mov %r11, h_out+11*8(%rip)
	mov %r12, h_out+12*8(%rip)
	mov %r13, h_out+13*8(%rip)
	mov %r14, h_out+14*8(%rip)
	mov %r15, h_out+15*8(%rip)
	mov h_host_rsp(%rip), %rsp     /* mov: flags still as the instruction left them */
	pushfq
	popq h_out+H_FLAGS(%rip)
	cld                            /* the ABI wants DF clear */

	cmpb $0, h_avx(%rip)
	je 3f
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu %ymm\n, h_out+H_VEC+\n*32(%rip)
	.endr
	vzeroupper
	jmp 4f
3:	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu %xmm\n, h_out+H_VEC+\n*32(%rip)
	.endr
4:	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size harness_run, .-harness_run

	.section .note.GNU-stack, "", @progbits
