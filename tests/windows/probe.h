/* A window load with every register the program can have set around it,
 * for the test that nothing but the load's destination changes: shared by
 * probe.S and window_test.c. */
#ifndef PF_TEST_PROBE_H
#define PF_TEST_PROBE_H

#define P_GPR_IN    0      /* 16 x 8, in encoding order: rax rcx rdx rbx
			      rsp(unused) rbp rsi rdi r8-r15 */
#define P_GPR_OUT   128
#define P_FLAGS_IN  256
#define P_FLAGS_OUT 264
#define P_ADDR      272    /* the window address the load reads (in rax) */
#define P_FCW_IN    280
#define P_FCW_OUT   282
#define P_MXCSR_IN  284
#define P_MXCSR_OUT 288
#define P_AVX512    292    /* nonzero: zmm16 and k1 too */
#define P_ST_IN     304    /* long double, 16 bytes */
#define P_ST_OUT    320
#define P_K1_IN     336
#define P_K1_OUT    344
#define P_ZMM_IN    384    /* zmm16, 64 bytes */
#define P_ZMM_OUT   448
#define P_SIZE      512

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct probe {
	uint64_t gpr_in[16], gpr_out[16];
	uint64_t flags_in, flags_out;
	uint64_t addr;
	uint16_t fcw_in, fcw_out;
	uint32_t mxcsr_in, mxcsr_out;
	uint32_t avx512;
	uint32_t pad[2];
	long double st_in, st_out;
	uint64_t k1_in, k1_out;
	uint8_t pad2[32];
	uint8_t zmm_in[64], zmm_out[64];
};
_Static_assert(offsetof(struct probe, flags_in) == P_FLAGS_IN, "probe.h");
_Static_assert(offsetof(struct probe, addr) == P_ADDR, "probe.h");
_Static_assert(offsetof(struct probe, fcw_in) == P_FCW_IN, "probe.h");
_Static_assert(offsetof(struct probe, mxcsr_in) == P_MXCSR_IN, "probe.h");
_Static_assert(offsetof(struct probe, avx512) == P_AVX512, "probe.h");
_Static_assert(offsetof(struct probe, st_in) == P_ST_IN, "probe.h");
_Static_assert(offsetof(struct probe, k1_in) == P_K1_IN, "probe.h");
_Static_assert(offsetof(struct probe, zmm_in) == P_ZMM_IN, "probe.h");
_Static_assert(sizeof(struct probe) == P_SIZE, "probe.h");

/* Load every register from P, `mov (%rax), %al` (rax = P->addr), store
 * every register back into P. */
void probe_load8(struct probe *p);
#endif

#endif
