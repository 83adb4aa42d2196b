/* Looking at the x87 register stack from a test, without changing it. */
#ifndef PF_TEST_X87_H
#define PF_TEST_X87_H

#include <stdalign.h>
#include <stdint.h>

/* How many x87 registers hold a value. FXSAVE's abridged tag byte has one
 * bit per register, set when it is not empty; unlike FNSTENV, FXSAVE
 * leaves the control word alone. The System V ABI wants 0 at every
 * function entry. */
static inline int x87_in_use(void)
{
	struct { alignas(16) uint8_t b[512]; } area;
	__asm__ volatile("fxsave %0" : "=m"(area) : : "memory");
	return __builtin_popcount(area.b[4]);
}

static inline uint16_t x87_control_word(void)
{
	uint16_t cw;
	__asm__ volatile("fnstcw %0" : "=m"(cw) : : "memory");
	return cw;
}

static inline void x87_set_control_word(uint16_t cw)
{
	__asm__ volatile("fldcw %0" : : "m"(cw) : "memory");
}

/* Mark every x87 register empty (what a caller that never pops a value
 * would need to do before its next call). */
static inline void x87_clear(void)
{
	__asm__ volatile("emms" : : : "memory");
}

#endif
