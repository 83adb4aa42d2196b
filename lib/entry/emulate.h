/* Exact emulation of one instruction that touched a memory-mapped window.
 *
 * A load or store to a window faults; the handler decodes the instruction
 * (Capstone, detail on), emu_decode turns it into a plan (the accesses it
 * makes, or a refusal with a reason), and emu_execute performs the plan
 * through callbacks that reach the window's owner, then applies registers,
 * flags and rip exactly as the CPU would have on ordinary memory holding the
 * values the owner returned. Decoding and execution are async-signal-safe:
 * no allocation, no locks, no stdio (emulate_decode.c and emulate.c
 * define what this header declares; the flag arithmetic is in emulate_alu.c).
 *
 * Emulated (64-bit mode, 64-bit addressing; everything else is refused):
 *   mov        r8/16/32/64 <-> [mem], [mem] <- imm8/16/32, movabs
 *              al/ax/eax/rax <-> [moffs64]; movnti [mem] <- r32/64
 *   movzx, movsx  r16/32/64 <- [mem8/16];  movsxd r64 <- [mem32] (REX.W)
 *   add or adc sbb and sub xor   [mem], reg/imm  and  reg, [mem]
 *   cmp        [mem], reg/imm  and  reg, [mem];  test [mem], reg/imm
 *   inc dec neg not  [mem]
 *   bt bts btr btc   [mem], imm8 / reg (a register bit offset may address
 *              another word: that word is the access, and it must lie in
 *              the window)
 *   xchg [mem], reg (always atomic); xadd, cmpxchg [mem], reg
 *   lock with add or adc sbb and sub xor inc dec neg not bts btr btc xchg
 *              xadd cmpxchg on memory: one atomic read-modify-write
 *   SSE   movdqu movdqa movups movaps movupd movapd lddqu movntdq movntps
 *         movntpd movntdqa (16 bytes), movq movsd (8), movd movss (4), to
 *         and from xmm: a load keeps the upper ymm half; movq/movd/movss/
 *         movsd loads zero the xmm above what they load
 *   AVX   vmovdqu vmovdqa vmovups vmovaps vmovupd vmovapd vlddqu vmovntdq
 *         vmovntps vmovntpd vmovntdqa (xmm 16 / ymm 32 bytes), vmovq vmovsd
 *         (8), vmovd vmovss (4): VEX loads zero the register above what they
 *         load, up to the CPU's maximum vector length
 *   movs, stos  b/w/d/q, with or without rep: the whole instruction, one
 *         access per element, rsi/rdi/rcx and the direction flag exact;
 *         either side may be ordinary memory, accessed directly
 *   in, out, ins, outs: decoded here (port, width, direction, count) and
 *         carried out by emu_execute_port (emulate_port.h); emu_execute
 *         refuses them
 * Segment prefixes cs/ds/es/ss are accepted (their base is zero in 64-bit
 * mode); fs and gs are refused. Refused too: the 0x67 address-size prefix,
 * EVEX (AVX-512) and XOP encodings, MMX registers, a lock prefix where the
 * CPU would raise #UD, repne on movs/stos, misaligned operands of the
 * aligned moves (the CPU raises #GP, not a page fault), any access that
 * crosses the window's end or wraps around the address space, and an
 * instruction whose decoded access does not contain the faulting address.
 * doc/emulation.md says the same at more length.
 */
#ifndef PF_ENTRY_EMULATE_H
#define PF_ENTRY_EMULATE_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>
#include "cpu_state.h"
#include "emulate_alu.h"

enum emu_op {
	EMU_OP_LOAD,      /* reg <- [mem], zero- or sign-extended */
	EMU_OP_STORE,     /* [mem] <- reg or imm */
	EMU_OP_ALU,       /* two operands, one of them memory (alu says which op) */
	EMU_OP_UNARY,     /* inc dec neg not [mem] */
	EMU_OP_BIT,       /* bt bts btr btc */
	EMU_OP_XCHG,
	EMU_OP_XADD,
	EMU_OP_CMPXCHG,
	EMU_OP_VLOAD,     /* xmm/ymm <- [mem] */
	EMU_OP_VSTORE,    /* [mem] <- xmm/ymm */
	EMU_OP_MOVS,
	EMU_OP_STOS,
	EMU_OP_PORT,      /* decoded, not executed */
};

enum emu_access { EMU_READ = 1, EMU_WRITE = 2, EMU_RMW = 3 };

/* How a load treats the register bytes above what it loaded. */
enum emu_ext {
	EMU_EXT_NONE,         /* same width: mov */
	EMU_EXT_ZERO,         /* movzx; vector: zero the xmm above, keep ymm's upper half */
	EMU_EXT_SIGN,         /* movsx, movsxd */
	EMU_EXT_KEEP,         /* legacy SSE 16-byte load: keep ymm's upper half */
	EMU_EXT_ZERO_VLMAX,   /* VEX load: zero everything above, zmm included */
};

enum emu_reg_kind { EMU_REG_NONE, EMU_REG_GPR, EMU_REG_VEC };

struct emu_reg {
	uint8_t kind;     /* enum emu_reg_kind */
	uint8_t num;      /* enum emu_gpr, or the vector register's number */
	uint8_t size;     /* bytes: 1 2 4 8 for a GPR, 16 32 for a vector */
	uint8_t high;     /* ah ch dh bh: bits 15:8 of rax rcx rdx rbx */
};

/* What one instruction does to the window. Filled by emu_decode from the
 * instruction and the register values at the fault; read by emu_execute. */
struct emu_plan {
	const char *refusal;  /* why it cannot be emulated, or NULL */
	unsigned insn_id;     /* Capstone's x86_insn */
	uint8_t len;          /* bytes: rip advances by this */
	uint8_t op;           /* enum emu_op */
	uint8_t alu;          /* enum alu_op, for ALU, UNARY, BIT */
	uint8_t width;        /* bytes per memory access: 1 2 4 8 16 32 */
	uint8_t access;       /* enum emu_access of the window access */
	uint8_t ext;          /* enum emu_ext, for LOAD and VLOAD */
	bool atomic;          /* one rmw callback: nothing between read and write */
	bool mem_first;       /* memory is the first operand (the destination) */
	bool has_imm;
	struct emu_reg reg;   /* the register operand (NONE if immediate) */
	uint64_t imm;         /* cut to the operand width */
	uint64_t addr;        /* the window access; strings: the first element */
	unsigned bit;         /* BIT: the bit within the accessed word */
	/* movs/stos (and ins/outs): */
	bool rep;
	uint64_t count;       /* elements */
	uint64_t src, dst;    /* rsi and rdi at the start */
	bool src_in_window, dst_in_window;
	/* in/out/ins/outs: */
	uint16_t port;
	bool port_in;         /* in/ins: data flows from the port */
	bool port_string;     /* ins/outs */
};

/* The window's bytes: [start, end). */
struct emu_window {
	uint64_t start, end;
};

/* What the fault said: the address that faulted and whether the faulting
 * access was a write (1), a read (0), or unknown (-1). */
struct emu_fault {
	uint64_t addr;
	int write;
};

/* Decode INSN (decoded at cpu->rip, with detail) into PLAN. WINDOW bounds
 * the window the fault hit; FAULT, if not NULL, must be explained by the
 * plan: some access of the plan in the window contains fault->addr, in the
 * same direction (a read-modify-write matches either). A NULL FAULT skips
 * that check (tests; a rep with rcx 0 makes no access at all).
 * Returns 0, or a negative errno value with plan->refusal saying why:
 *   -EOPNOTSUPP  not one of the emulated forms, or a prefix or operand the
 *                form does not take here
 *   -ERANGE      an access crosses the window's end or wraps around
 *   -EFAULT      the decoded access is not the one that faulted (outside
 *                the window, another address, the other direction)
 *   -EINVAL      INSN has no detail, or was decoded at another address */
int emu_decode(const cs_insn *insn, const struct emu_cpu *cpu,
	       const struct emu_window *window, const struct emu_fault *fault,
	       struct emu_plan *plan);

/* The owner's side of an atomic access: FN gets the WIDTH bytes read and
 * returns true if they, as FN changed them, are to be written back. The
 * owner runs read, FN, write with no other access to the window between. */
typedef bool emu_rmw_fn(void *fnctx, void *value);

/* How emu_execute reaches the window. Values are the little-endian bytes of
 * the access, WIDTH of them. Each returns 0 or a negative errno value (the
 * owner died, the grant was revoked, the call failed). */
struct emu_bus {
	int (*read)(void *ctx, uint64_t addr, unsigned width, void *out);
	int (*write)(void *ctx, uint64_t addr, unsigned width, const void *in);
	int (*rmw)(void *ctx, uint64_t addr, unsigned width, emu_rmw_fn *fn,
		   void *fnctx);
	void *ctx;
};

/* Perform PLAN on CPU through BUS: registers, rflags and rip become what
 * the CPU would have left. A callback that fails does not stop the
 * instruction: a failed load yields all ones (as a read from an absent
 * device does), a failed store is dropped, and the instruction completes.
 * A cmpxchg whose comparison fails writes nothing back (the CPU writes the
 * old value back, which leaves the bytes as they were).
 * The side of a movs/stos outside the window is ordinary memory and is
 * accessed directly: the caller makes sure it is mapped.
 * Returns 0, or the first error a callback returned, or -EOPNOTSUPP for
 * port I/O (emu_execute_port's; CPU is left untouched), or -EINVAL for a refused
 * plan. */
int emu_execute(const struct emu_plan *plan, struct emu_cpu *cpu,
		const struct emu_bus *bus);

/* True when emu_decode accepts some form of Capstone instruction ID (port
 * I/O excluded: it is decoded, not executed). For tests that check every
 * emulated instruction was exercised. */
bool emu_insn_emulated(unsigned id);

/* Once, in normal context: learn the CPU's undefined flags and the signal
 * frame's layout (alu_probe_cpu, cpu_state_init). */
void emu_init(void);

#endif
