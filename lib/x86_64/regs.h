/* The register image a call carries and the registers it returns, laid out
 * as lib/x86_64/abi.h says (the assembly reads them by those offsets). */
#ifndef PF_CALL_REGS_H
#define PF_CALL_REGS_H

#include <stddef.h>
#include <stdint.h>
#include "pfipc.h"
#include "x86_64/abi.h"

struct call_regs {
	uint64_t gpr[6];     /* rdi rsi rdx rcx r8 r9 */
	uint64_t rax;        /* al: vector registers used by a variadic call */
	uint64_t stack_len;  /* bytes in stack[] */
	uint8_t xmm[8][16];
	uint8_t stack[PF_MAX_STACK_BYTES];
};

struct call_result {
	uint64_t rax, rdx;
	uint8_t xmm0[16], xmm1[16];
	uint8_t st0[16], st1[16];   /* 10 bytes used in each */
	uint64_t x87;               /* how many of st0, st1 hold a value */
	uint64_t pad;
};

_Static_assert(offsetof(struct call_regs, gpr) == REGS_GPR, "abi.h");
_Static_assert(offsetof(struct call_regs, rax) == REGS_RAX, "abi.h");
_Static_assert(offsetof(struct call_regs, stack_len) == REGS_STACK_LEN, "abi.h");
_Static_assert(offsetof(struct call_regs, xmm) == REGS_XMM, "abi.h");
_Static_assert(offsetof(struct call_regs, stack) == REGS_STACK, "abi.h");
_Static_assert(offsetof(struct call_result, rax) == RESULT_RAX, "abi.h");
_Static_assert(offsetof(struct call_result, rdx) == RESULT_RDX, "abi.h");
_Static_assert(offsetof(struct call_result, xmm0) == RESULT_XMM0, "abi.h");
_Static_assert(offsetof(struct call_result, xmm1) == RESULT_XMM1, "abi.h");
_Static_assert(offsetof(struct call_result, st0) == RESULT_ST0, "abi.h");
_Static_assert(offsetof(struct call_result, st1) == RESULT_ST1, "abi.h");
_Static_assert(offsetof(struct call_result, x87) == RESULT_X87, "abi.h");
_Static_assert(sizeof(struct call_result) == RESULT_SIZE, "abi.h");

/* Calls FN with REGS (registers and stack bytes); fills RESULT. */
void pf_x86_invoke(void *fn, const struct call_regs *regs,
		   struct call_result *result);

/* Where the fault handler sends a caller; see x86_64/await.S. */
void pf_x86_await(void);
/* The same for an entry that was no CALL: it goes back by a jump. */
void pf_x86_await_jump(void);
/* Where a thread whose instruction is carried out in normal context
 * resumes (a window access); see x86_64/restore.S. */
void pf_x86_restore(void);

/* Where an export run in place returns, and where a crash in it resumes
 * (x86_64/in_place.S, dispatch/in_place.c). */
void pf_x86_in_place_return(void);
void pf_x86_in_place_crashed(void);

#endif
