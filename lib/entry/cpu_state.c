/* Signal context <-> struct emu_cpu.
 *
 * The general registers sit in uc_mcontext.gregs. The vector registers sit
 * in the FPU area the kernel writes on the signal stack, which mcontext's
 * fpregs points at. Its first 512 bytes are the FXSAVE image (xmm0-15 at
 * byte 160); when bytes 464.. hold FP_XSTATE_MAGIC1, the kernel used XSAVE
 * and an XSAVE header follows at byte 512 with the extended components (the
 * upper ymm halves, AVX-512 state) at the offsets CPUID leaf 0xD gives for
 * the standard, uncompacted format (arch/x86/include/uapi/asm/sigcontext.h:
 * struct _fpstate_64, struct _fpx_sw_bytes).
 *
 * XSAVE leaves a component it found in its initial state (all zero) unsaved
 * and clears that component's bit in the header's XSTATE_BV; XRSTOR, on
 * sigreturn, reloads such a component as zeros whatever the memory holds.
 * So a clear bit reads as zeros here, and writing a register of a component
 * whose bit was clear means writing the whole component and setting the bit. */
#include <cpuid.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include "cpu_state.h"
#include "x86_64/xsave_frame.h"

#define FXSAVE_XMM        160u
#define XSAVE_HEADER      FXSAVE_SIZE   /* the XSAVE header follows the legacy image */

#define XFEATURE_SSE       (1u << 1)
#define XFEATURE_YMM       (1u << 2)
#define XFEATURE_ZMM_HI256 (1u << 6)

/* Where YMM_Hi128 (component 2) and ZMM_Hi256 (component 6) start in an
 * XSAVE area; 0 when the CPU has no such component. Packed in one word so a
 * handler on another thread sees both or neither. */
static _Atomic uint64_t xsave_offsets;
#define OFFSETS_KNOWN (1ull << 63)

static uint32_t component_offset(unsigned component)
{
	unsigned a, b, c, d;
	if (__get_cpuid_max(0, NULL) < 0xd)
		return 0;
	__cpuid_count(0xd, 0, a, b, c, d);
	if (!(a & (1u << component)))
		return 0;
	__cpuid_count(0xd, component, a, b, c, d);
	return b;
}

static uint64_t offsets(void)
{
	uint64_t v = atomic_load_explicit(&xsave_offsets, memory_order_relaxed);
	if (v & OFFSETS_KNOWN)
		return v;
	v = OFFSETS_KNOWN | component_offset(2) | (uint64_t)component_offset(6) << 32;
	atomic_store_explicit(&xsave_offsets, v, memory_order_relaxed);
	return v;
}

void cpu_state_init(void)
{
	(void)offsets();
}

/* Offset of COMPONENT's register N in the frame at FP, or 0 when the frame
 * has no room for it. */
static uint32_t frame_slot(const uint8_t *fp, unsigned component, unsigned n)
{
	const struct sw_bytes *sw = xsave_note(fp);
	uint64_t off = offsets();
	uint32_t base = (uint32_t)(component == 2 ? off : off >> 32) & 0x7fffffffu;
	uint32_t size = component == 2 ? 16 : 32;
	if (!base || !(sw->xfeatures & (1u << component)))
		return 0;
	if (base + size * 16 > sw->xstate_size)
		return 0;
	return base + size * n;
}

/* The frame's XSTATE_BV, or NULL when FP holds only an FXSAVE image. */
static uint64_t *xstate_bv(const uint8_t *fp)
{
	return xsave_frame_size(fp) ? (uint64_t *)(uintptr_t)(fp + XSAVE_HEADER) : NULL;
}

static const uint8_t gregs_of[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

int emu_cpu_from_ucontext(const ucontext_t *uc, struct emu_cpu *cpu)
{
	if (!uc || !cpu)
		return -EINVAL;
	const greg_t *g = uc->uc_mcontext.gregs;
	for (unsigned i = 0; i < 16; i++)
		cpu->gpr[i] = (uint64_t)g[gregs_of[i]];
	cpu->rip = (uint64_t)g[REG_RIP];
	cpu->rflags = (uint64_t)g[REG_EFL];
	memset(cpu->vec, 0, sizeof cpu->vec);
	cpu->vec_written = 0;
	cpu->vec_zero_above_256 = 0;

	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	if (!fp)
		return 0;
	const uint64_t *bv = xstate_bv(fp);
	if (!bv || (*bv & XFEATURE_SSE))
		for (unsigned i = 0; i < 16; i++)
			memcpy(&cpu->vec[i].q[0], fp + FXSAVE_XMM + 16 * i, 16);
	if (bv && (*bv & XFEATURE_YMM) && frame_slot(fp, 2, 0))
		for (unsigned i = 0; i < 16; i++)
			memcpy(&cpu->vec[i].q[2], fp + frame_slot(fp, 2, i), 16);
	return 0;
}

static bool upper_half_zero(const struct emu_vec *v)
{
	return (v->q[2] | v->q[3]) == 0;
}

static int write_vectors(const struct emu_cpu *cpu, uint8_t *fp)
{
	uint64_t *bv = xstate_bv(fp);
	unsigned written = cpu->vec_written;
	int err = 0;

	/* xmm: the FXSAVE image always has room. */
	unsigned xmm = written;
	if (bv && !(*bv & XFEATURE_SSE) && written) {
		xmm = 0xffff;   /* the rest read as zeros: make them so */
		*bv |= XFEATURE_SSE;
	}
	for (unsigned i = 0; i < 16; i++)
		if (xmm & (1u << i))
			memcpy(fp + FXSAVE_XMM + 16 * i, &cpu->vec[i].q[0], 16);

	/* Upper ymm halves: only a frame with AVX state has them. A component
	 * left in its initial state stays so when nothing nonzero goes in. */
	unsigned ymm = written;
	bool nonzero = false;
	for (unsigned i = 0; i < 16; i++)
		if ((written & (1u << i)) && !upper_half_zero(&cpu->vec[i]))
			nonzero = true;
	if (!bv || !frame_slot(fp, 2, 0)) {
		if (nonzero)
			err = -ENOTSUP;
		ymm = 0;
	} else if (!(*bv & XFEATURE_YMM)) {
		ymm = nonzero ? 0xffff : 0;
		if (nonzero)
			*bv |= XFEATURE_YMM;
	}
	for (unsigned i = 0; i < 16; i++)
		if (ymm & (1u << i))
			memcpy(fp + frame_slot(fp, 2, i), &cpu->vec[i].q[2], 16);

	/* zmm bits 511:256: clear in the frame what a VEX write cleared. A
	 * component in its initial state is all zero already. */
	if (bv && (*bv & XFEATURE_ZMM_HI256) && frame_slot(fp, 6, 0))
		for (unsigned i = 0; i < 16; i++)
			if (cpu->vec_zero_above_256 & (1u << i))
				memset(fp + frame_slot(fp, 6, i), 0, 32);
	return err;
}

int emu_cpu_to_ucontext(const struct emu_cpu *cpu, ucontext_t *uc)
{
	if (!uc || !cpu)
		return -EINVAL;
	greg_t *g = uc->uc_mcontext.gregs;
	for (unsigned i = 0; i < 16; i++)
		g[gregs_of[i]] = (greg_t)cpu->gpr[i];
	g[REG_RIP] = (greg_t)cpu->rip;
	g[REG_EFL] = (greg_t)cpu->rflags;
	if (!cpu->vec_written && !cpu->vec_zero_above_256)
		return 0;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	if (!fp)
		return -ENOTSUP;
	return write_vectors(cpu, fp);
}
