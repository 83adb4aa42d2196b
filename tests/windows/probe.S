/* probe_load8(p): see probe.h. Between loading the state and storing it
 * nothing but the load runs; the probe's pointer waits in memory. */
#include "probe.h"

	.bss
	.balign 8
probe_ptr:	.quad 0
probe_rdi:	.quad 0

	.section .rodata
	.balign 4
default_mxcsr:	.long 0x1f80
default_fcw:	.word 0x037f

	.text
	.globl probe_load8
	.type probe_load8, @function
probe_load8:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, probe_ptr(%rip)
	fldcw P_FCW_IN(%rdi)
	ldmxcsr P_MXCSR_IN(%rdi)
	fldt P_ST_IN(%rdi)
	cmpl $0, P_AVX512(%rdi)
	je 1f
	vmovdqu64 P_ZMM_IN(%rdi), %zmm16
	kmovq P_K1_IN(%rdi), %k1
1:	pushq P_FLAGS_IN(%rdi)
	popfq
	mov P_GPR_IN+1*8(%rdi), %rcx
	mov P_GPR_IN+2*8(%rdi), %rdx
	mov P_GPR_IN+3*8(%rdi), %rbx
	mov P_GPR_IN+5*8(%rdi), %rbp
	mov P_GPR_IN+6*8(%rdi), %rsi
	mov P_GPR_IN+8*8(%rdi), %r8
	mov P_GPR_IN+9*8(%rdi), %r9
	mov P_GPR_IN+10*8(%rdi), %r10
	mov P_GPR_IN+11*8(%rdi), %r11
	mov P_GPR_IN+12*8(%rdi), %r12
	mov P_GPR_IN+13*8(%rdi), %r13
	mov P_GPR_IN+14*8(%rdi), %r14
	mov P_GPR_IN+15*8(%rdi), %r15
	mov P_ADDR(%rdi), %rax
	mov P_GPR_IN+7*8(%rdi), %rdi
	mov (%rax), %al			/* the window load */
	pushfq
	mov %rdi, probe_rdi(%rip)
	mov probe_ptr(%rip), %rdi
	mov %rax, P_GPR_OUT+0*8(%rdi)
	mov %rcx, P_GPR_OUT+1*8(%rdi)
	mov %rdx, P_GPR_OUT+2*8(%rdi)
	mov %rbx, P_GPR_OUT+3*8(%rdi)
	mov %rbp, P_GPR_OUT+5*8(%rdi)
	mov %rsi, P_GPR_OUT+6*8(%rdi)
	mov %r8, P_GPR_OUT+8*8(%rdi)
	mov %r9, P_GPR_OUT+9*8(%rdi)
	mov %r10, P_GPR_OUT+10*8(%rdi)
	mov %r11, P_GPR_OUT+11*8(%rdi)
	mov %r12, P_GPR_OUT+12*8(%rdi)
	mov %r13, P_GPR_OUT+13*8(%rdi)
	mov %r14, P_GPR_OUT+14*8(%rdi)
	mov %r15, P_GPR_OUT+15*8(%rdi)
	mov probe_rdi(%rip), %rax
	mov %rax, P_GPR_OUT+7*8(%rdi)
	popq P_FLAGS_OUT(%rdi)
	cld
	fstpt P_ST_OUT(%rdi)
	fnstcw P_FCW_OUT(%rdi)
	stmxcsr P_MXCSR_OUT(%rdi)
	fldcw default_fcw(%rip)
	ldmxcsr default_mxcsr(%rip)
	cmpl $0, P_AVX512(%rdi)
	je 2f
	vmovdqu64 %zmm16, P_ZMM_OUT(%rdi)
	kmovq %k1, P_K1_OUT(%rdi)
	vzeroupper
2:	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size probe_load8, .-probe_load8

	.section .note.GNU-stack, "", @progbits
