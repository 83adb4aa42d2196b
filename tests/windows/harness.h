/* The state block the native harness loads before the instruction under
 * test and stores after it; shared by harness.S and the C tests, so
 * neither hard-codes the other's offsets. */
#ifndef PF_TEST_HARNESS_H
#define PF_TEST_HARNESS_H

#define H_GPR    0     /* 16 x 8: rax rcx rdx rbx rsp rbp rsi rdi r8-r15 */
#define H_FLAGS  128   /* rflags */
#define H_VEC    160   /* 16 x 32: ymm0-15 (xmm0-15 when the CPU has no AVX) */
#define H_SIZE   672

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct h_state {
	uint64_t gpr[16];
	uint64_t rflags;
	uint64_t pad[3];
	uint64_t vec[16][4];
};
_Static_assert(offsetof(struct h_state, rflags) == H_FLAGS, "harness layout");
_Static_assert(offsetof(struct h_state, vec) == H_VEC, "harness layout");
_Static_assert(sizeof(struct h_state) == H_SIZE, "harness layout");

/* Filled by the test before harness_run: the state to load, where the
 * instruction is (it must be followed by a jump to harness_back), and
 * whether ymm (1) or only xmm (0) registers are loaded and stored. */
extern struct h_state h_in, h_out;
extern void *h_code;
extern uint8_t h_avx;

/* Load h_in, jump to h_code, come back at harness_back, store h_out. */
void harness_run(void);
void harness_back(void);
#endif

#endif
