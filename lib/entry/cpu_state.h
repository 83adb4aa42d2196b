/* The register state an emulated instruction reads and writes, and its
 * conversion to and from the context the kernel hands a signal handler.
 *
 * Only what the emulated forms can touch is here: the sixteen general
 * registers, rip, rflags and the sixteen vector registers up to 256 bits.
 * Both conversions are async-signal-safe (no allocation, no locks, no
 * stdio); the one CPUID they need is asked once by cpu_state_init, in normal
 * context, because in a virtual machine CPUID traps to the hypervisor. */
#ifndef PF_ENTRY_CPU_STATE_H
#define PF_ENTRY_CPU_STATE_H

#include <stdint.h>
#include <ucontext.h>

/* General registers in the order the instruction encoding numbers them, so
 * a ModRM/REX register number is an index. */
enum emu_gpr {
	EMU_RAX, EMU_RCX, EMU_RDX, EMU_RBX, EMU_RSP, EMU_RBP, EMU_RSI, EMU_RDI,
	EMU_R8, EMU_R9, EMU_R10, EMU_R11, EMU_R12, EMU_R13, EMU_R14, EMU_R15,
};

/* RFLAGS bits the emulated forms read or write. */
#define EMU_CF 0x001u
#define EMU_PF 0x004u
#define EMU_AF 0x010u
#define EMU_ZF 0x040u
#define EMU_SF 0x080u
#define EMU_DF 0x400u
#define EMU_OF 0x800u
#define EMU_ARITH_FLAGS (EMU_CF | EMU_PF | EMU_AF | EMU_ZF | EMU_SF | EMU_OF)

/* One vector register: bytes 0-15 are xmm, 16-31 the upper half of ymm. */
struct emu_vec {
	uint64_t q[4];
};

struct emu_cpu {
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;
	struct emu_vec vec[16];
	/* Vector registers the emulation wrote (bit n: register n). Only these
	 * are written back, so an instruction that touches no vector register
	 * leaves the saved vector state as the kernel wrote it. */
	uint16_t vec_written;
	/* Registers whose bits 511:256 the CPU would have cleared: a VEX-encoded
	 * load zeroes a zmm register above what it loads, and on a machine with
	 * AVX-512 that part lives outside this struct, in the signal frame. */
	uint16_t vec_zero_above_256;
};

/* Ask CPUID where the signal frame keeps the ymm and zmm upper halves. Call
 * once in normal context before the first conversion (later calls are
 * cheap). Without it the conversions ask CPUID themselves, which is correct
 * but slow in a virtual machine. */
void cpu_state_init(void);

/* Fill CPU from a signal context. Registers the context does not hold (no
 * FPU state, or no AVX state in the frame) read as zero. Returns 0, or
 * -EINVAL when UC is NULL. */
int emu_cpu_from_ucontext(const ucontext_t *uc, struct emu_cpu *cpu);

/* Write CPU back into UC: general registers, rip, rflags, and the vector
 * registers named in vec_written (marking their state components in use in
 * the XSAVE header, and clearing zmm bits 511:256 named in
 * vec_zero_above_256). Returns 0, or -EINVAL when UC is NULL, or -ENOTSUP
 * when a written vector register cannot be stored because the frame has no
 * room for it (no FPU state, or upper ymm halves written but the frame holds
 * no AVX state); the general registers are written in every case. */
int emu_cpu_to_ucontext(const struct emu_cpu *cpu, ucontext_t *uc);

#endif
