/* The register image a call carries and the registers it returns, in the
 * i386 build, laid out as lib/i386/abi.h says (the assembly reads them by
 * those offsets). */
#ifndef PF_CALL_REGS_H
#define PF_CALL_REGS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pfipc.h"
#include "i386/abi.h"

/* One argument word: what PF_ARG_REG and PF_ARG_STACK name. */
typedef uint32_t arg_word;

struct call_regs {
	uint32_t gpr[3];     /* eax edx ecx: -mregparm / fastcall arguments */
	uint32_t stack_len;  /* bytes in stack[] */
	uint8_t stack[PF_MAX_STACK_BYTES];
};

struct call_result {
	uint32_t eax, edx;
	uint8_t st0[16], st1[16];   /* 10 bytes used in each */
	uint32_t x87;               /* how many of st0, st1 hold a value */
	uint32_t pop;               /* argument bytes the callee popped */
};

/* Argument registers PF_ARG_REG can name. */
#define ARG_REGS 3u

_Static_assert(offsetof(struct call_regs, gpr) == REGS_GPR, "abi.h");
_Static_assert(offsetof(struct call_regs, stack_len) == REGS_STACK_LEN, "abi.h");
_Static_assert(offsetof(struct call_regs, stack) == REGS_STACK, "abi.h");
_Static_assert(offsetof(struct call_result, eax) == RESULT_EAX, "abi.h");
_Static_assert(offsetof(struct call_result, edx) == RESULT_EDX, "abi.h");
_Static_assert(offsetof(struct call_result, st0) == RESULT_ST0, "abi.h");
_Static_assert(offsetof(struct call_result, st1) == RESULT_ST1, "abi.h");
_Static_assert(offsetof(struct call_result, x87) == RESULT_X87, "abi.h");
_Static_assert(offsetof(struct call_result, pop) == RESULT_POP, "abi.h");
_Static_assert(sizeof(struct call_result) == RESULT_SIZE, "abi.h");

/* Calls FN with REGS (registers and stack bytes); fills RESULT, including
 * how many argument bytes FN popped. */
void pf_i386_invoke(void *fn, const struct call_regs *regs,
		    struct call_result *result);

/* Where the fault handler sends a caller (eax: the message); see
 * i386/await.S. */
void pf_i386_await(void);
/* The same for an entry that was no CALL: it goes back by a jump. */
void pf_i386_await_jump(void);

/* A failed call returns zeros, but its caller still expects the callee's
 * pops: POP bytes (what the export is known to pop). */
static inline void call_result_failed(struct call_result *r, unsigned pop)
{
	memset(r, 0, sizeof *r);
	r->pop = pop;
}

/* An asynchronous call's result as pf_wait hands it out: eax and edx in
 * rax and rdx; a float, double or long double comes back in st0, so it
 * is given as the long double and, converted, as xmm0[0] and xmm0_float. */
static inline void call_result_public(const struct call_result *r, pf_result *out)
{
	memset(out, 0, sizeof *out);
	out->rax = r->eax;
	out->rdx = r->edx;
	out->has_long_double = (int)r->x87;
	if (r->x87 >= 1) {
		memcpy(&out->st0, r->st0, 10);
		out->xmm0[0] = (double)out->st0;
		out->xmm0_float = (float)out->st0;
	}
	if (r->x87 >= 2)
		memcpy(&out->st1, r->st1, 10);
}

/* What an asynchronous or one-way call returns at once: its ticket. */
static inline void call_result_ticket(struct call_result *r, uint64_t ticket)
{
	memset(r, 0, sizeof *r);
	r->eax = (uint32_t)ticket;
	r->edx = (uint32_t)(ticket >> 32);
}

#endif
