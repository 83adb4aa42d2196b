/* From a Capstone instruction to a plan: which form it is, which register
 * and memory it touches, and whether the fault is what it explains.
 *
 * Capstone names the instruction and its operands; the prefixes are read
 * from the instruction's own bytes, because Capstone folds some of them
 * away (it drops a repne in front of movs, and shows a mandatory SSE prefix
 * as no prefix at all) and the emulation must see exactly what the CPU saw. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "emulate.h"

/* ---- tables -------------------------------------------------------------- */

/* Capstone register -> register operand. Anything missing (segment, control
 * and debug registers, mm0-7, xmm16-31, mask registers) has kind NONE and is
 * refused. */
#define GPR(r, n, s)       [X86_REG_##r] = { EMU_REG_GPR, n, s, 0 }
#define GPR4(q, d, w, b, n) GPR(q, n, 8), GPR(d, n, 4), GPR(w, n, 2), GPR(b, n, 1)
#define VEC(n)             [X86_REG_XMM##n] = { EMU_REG_VEC, n, 16, 0 }, \
			   [X86_REG_YMM##n] = { EMU_REG_VEC, n, 32, 0 }
static const struct emu_reg reg_table[X86_REG_ENDING] = {
	GPR4(RAX, EAX, AX, AL, EMU_RAX), GPR4(RCX, ECX, CX, CL, EMU_RCX),
	GPR4(RDX, EDX, DX, DL, EMU_RDX), GPR4(RBX, EBX, BX, BL, EMU_RBX),
	GPR4(RSP, ESP, SP, SPL, EMU_RSP), GPR4(RBP, EBP, BP, BPL, EMU_RBP),
	GPR4(RSI, ESI, SI, SIL, EMU_RSI), GPR4(RDI, EDI, DI, DIL, EMU_RDI),
	GPR4(R8, R8D, R8W, R8B, EMU_R8), GPR4(R9, R9D, R9W, R9B, EMU_R9),
	GPR4(R10, R10D, R10W, R10B, EMU_R10), GPR4(R11, R11D, R11W, R11B, EMU_R11),
	GPR4(R12, R12D, R12W, R12B, EMU_R12), GPR4(R13, R13D, R13W, R13B, EMU_R13),
	GPR4(R14, R14D, R14W, R14B, EMU_R14), GPR4(R15, R15D, R15W, R15B, EMU_R15),
	[X86_REG_AH] = { EMU_REG_GPR, EMU_RAX, 1, 1 },
	[X86_REG_CH] = { EMU_REG_GPR, EMU_RCX, 1, 1 },
	[X86_REG_DH] = { EMU_REG_GPR, EMU_RDX, 1, 1 },
	[X86_REG_BH] = { EMU_REG_GPR, EMU_RBX, 1, 1 },
	VEC(0), VEC(1), VEC(2), VEC(3), VEC(4), VEC(5), VEC(6), VEC(7),
	VEC(8), VEC(9), VEC(10), VEC(11), VEC(12), VEC(13), VEC(14), VEC(15),
};

/* Capstone instruction -> what kind of instruction it is. The decode
 * functions below check the operands each kind takes. */
enum kind {
	K_NONE,
	K_MOV,        /* load or store, by operand order */
	K_LOAD_EXT,   /* movzx movsx movsxd */
	K_ALU, K_UNARY, K_BIT, K_XCHG, K_XADD, K_CMPXCHG,
	K_VMOV,       /* vector load or store, by operand order */
	K_STRING,     /* movs stos */
	K_PORT,       /* in out ins outs */
};
#define F_LOCKABLE  1u   /* takes a lock prefix with a memory destination */
#define F_ALIGNED   2u   /* vector operand must be aligned to its width */
#define F_SIGN      4u   /* K_LOAD_EXT: sign-extends */

struct form {
	uint8_t kind;
	uint8_t alu;
	uint8_t flags;
};
static const struct form forms[X86_INS_ENDING] = {
	[X86_INS_MOV] = { K_MOV }, [X86_INS_MOVABS] = { K_MOV },
	[X86_INS_MOVNTI] = { K_MOV },
	[X86_INS_MOVZX] = { K_LOAD_EXT }, [X86_INS_MOVSX] = { K_LOAD_EXT, 0, F_SIGN },
	[X86_INS_MOVSXD] = { K_LOAD_EXT, 0, F_SIGN },
	[X86_INS_ADD] = { K_ALU, ALU_ADD, F_LOCKABLE }, [X86_INS_OR] = { K_ALU, ALU_OR, F_LOCKABLE },
	[X86_INS_ADC] = { K_ALU, ALU_ADC, F_LOCKABLE }, [X86_INS_SBB] = { K_ALU, ALU_SBB, F_LOCKABLE },
	[X86_INS_AND] = { K_ALU, ALU_AND, F_LOCKABLE }, [X86_INS_SUB] = { K_ALU, ALU_SUB, F_LOCKABLE },
	[X86_INS_XOR] = { K_ALU, ALU_XOR, F_LOCKABLE },
	[X86_INS_CMP] = { K_ALU, ALU_CMP }, [X86_INS_TEST] = { K_ALU, ALU_TEST },
	[X86_INS_INC] = { K_UNARY, ALU_INC, F_LOCKABLE }, [X86_INS_DEC] = { K_UNARY, ALU_DEC, F_LOCKABLE },
	[X86_INS_NEG] = { K_UNARY, ALU_NEG, F_LOCKABLE }, [X86_INS_NOT] = { K_UNARY, ALU_NOT, F_LOCKABLE },
	[X86_INS_BT] = { K_BIT, ALU_BT }, [X86_INS_BTS] = { K_BIT, ALU_BTS, F_LOCKABLE },
	[X86_INS_BTR] = { K_BIT, ALU_BTR, F_LOCKABLE }, [X86_INS_BTC] = { K_BIT, ALU_BTC, F_LOCKABLE },
	[X86_INS_XCHG] = { K_XCHG, 0, F_LOCKABLE }, [X86_INS_XADD] = { K_XADD, 0, F_LOCKABLE },
	[X86_INS_CMPXCHG] = { K_CMPXCHG, 0, F_LOCKABLE },
	[X86_INS_MOVDQU] = { K_VMOV }, [X86_INS_MOVDQA] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_MOVUPS] = { K_VMOV }, [X86_INS_MOVAPS] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_MOVUPD] = { K_VMOV }, [X86_INS_MOVAPD] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_LDDQU] = { K_VMOV }, [X86_INS_MOVNTDQ] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_MOVNTPS] = { K_VMOV, 0, F_ALIGNED }, [X86_INS_MOVNTPD] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_MOVNTDQA] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_MOVQ] = { K_VMOV }, [X86_INS_MOVD] = { K_VMOV }, [X86_INS_MOVSS] = { K_VMOV },
	[X86_INS_MOVSD] = { K_VMOV },   /* or the string movsd: see decode_string */
	[X86_INS_VMOVDQU] = { K_VMOV }, [X86_INS_VMOVDQA] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_VMOVUPS] = { K_VMOV }, [X86_INS_VMOVAPS] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_VMOVUPD] = { K_VMOV }, [X86_INS_VMOVAPD] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_VLDDQU] = { K_VMOV }, [X86_INS_VMOVNTDQ] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_VMOVNTPS] = { K_VMOV, 0, F_ALIGNED }, [X86_INS_VMOVNTPD] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_VMOVNTDQA] = { K_VMOV, 0, F_ALIGNED },
	[X86_INS_VMOVQ] = { K_VMOV }, [X86_INS_VMOVD] = { K_VMOV },
	[X86_INS_VMOVSS] = { K_VMOV }, [X86_INS_VMOVSD] = { K_VMOV },
	[X86_INS_MOVSB] = { K_STRING }, [X86_INS_MOVSW] = { K_STRING }, [X86_INS_MOVSQ] = { K_STRING },
	[X86_INS_STOSB] = { K_STRING }, [X86_INS_STOSW] = { K_STRING },
	[X86_INS_STOSD] = { K_STRING }, [X86_INS_STOSQ] = { K_STRING },
	[X86_INS_IN] = { K_PORT }, [X86_INS_OUT] = { K_PORT },
	[X86_INS_INSB] = { K_PORT }, [X86_INS_INSW] = { K_PORT }, [X86_INS_INSD] = { K_PORT },
	[X86_INS_OUTSB] = { K_PORT }, [X86_INS_OUTSW] = { K_PORT }, [X86_INS_OUTSD] = { K_PORT },
};

bool emu_insn_emulated(unsigned id)
{
	return id < X86_INS_ENDING && forms[id].kind != K_NONE && forms[id].kind != K_PORT;
}

/* ---- prefixes and encoding ----------------------------------------------- */

struct prefixes {
	bool lock, rep, repne, opsize, addrsize, fs_gs;
	uint8_t rex;
	uint8_t escape;   /* first byte after the prefixes: 0xc4/0xc5 VEX, 0x62 EVEX */
};

static void scan_prefixes(const cs_insn *insn, struct prefixes *p)
{
	memset(p, 0, sizeof *p);
	for (unsigned i = 0; i < insn->size; i++) {
		uint8_t b = insn->bytes[i];
		bool legacy = true;
		switch (b) {
		case 0xf0: p->lock = true; break;
		/* Of f2 and f3 the last one counts. */
		case 0xf2: p->repne = true; p->rep = false; break;
		case 0xf3: p->rep = true; p->repne = false; break;
		case 0x66: p->opsize = true; break;
		case 0x67: p->addrsize = true; break;
		case 0x64: case 0x65: p->fs_gs = true; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: break;
		default: legacy = false; break;
		}
		if (legacy) {
			p->rex = 0;   /* a REX followed by another prefix is ignored */
			continue;
		}
		if ((b & 0xf0) == 0x40) {   /* REX: only one right before the opcode counts */
			p->rex = b;
			continue;
		}
		p->escape = b;
		return;
	}
}

static int refuse(struct emu_plan *plan, int err, const char *why)
{
	plan->refusal = why;
	return err;
}

/* ---- operands ------------------------------------------------------------ */

static uint64_t mask_of(unsigned width)
{
	return width >= 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

static uint64_t reg_value(const struct emu_cpu *cpu, struct emu_reg r)
{
	uint64_t v = cpu->gpr[r.num];
	return r.high ? (v >> 8) & 0xff : v & mask_of(r.size);
}

/* The effective address of a memory operand: 64-bit base and index only,
 * rip-relative counted from the end of the instruction. */
static int effective_address(const cs_insn *insn, const cs_x86_op *op,
			     const struct emu_cpu *cpu, uint64_t *ea,
			     struct emu_plan *plan)
{
	const x86_op_mem *m = &op->mem;
	uint64_t a = (uint64_t)m->disp;
	if (m->segment == X86_REG_FS || m->segment == X86_REG_GS)
		return refuse(plan, -EOPNOTSUPP, "fs or gs segment override");
	if (m->base == X86_REG_RIP) {
		a += cpu->rip + insn->size;
	} else if (m->base != X86_REG_INVALID) {
		struct emu_reg b = reg_table[m->base];
		if (b.kind != EMU_REG_GPR || b.size != 8)
			return refuse(plan, -EOPNOTSUPP, "base register is not a 64-bit register");
		a += cpu->gpr[b.num];
	}
	if (m->index != X86_REG_INVALID) {
		struct emu_reg x = reg_table[m->index];
		if (x.kind != EMU_REG_GPR || x.size != 8)
			return refuse(plan, -EOPNOTSUPP, "index register is not a 64-bit register");
		a += cpu->gpr[x.num] * (uint64_t)m->scale;
	}
	*ea = a;
	return 0;
}

/* The immediate from the instruction's bytes, sign-extended from its own
 * size and cut to WIDTH: imm8 after 83 and imm32 after REX.W 81/c7 are
 * sign-extended by the CPU, and cutting makes the rest exact. */
static uint64_t immediate(const cs_insn *insn, unsigned width)
{
	const cs_x86_encoding *e = &insn->detail->x86.encoding;
	int64_t v = 0;
	switch (e->imm_size) {
	case 1: v = (int8_t)insn->bytes[e->imm_offset]; break;
	case 2: { int16_t x; memcpy(&x, insn->bytes + e->imm_offset, 2); v = x; break; }
	case 4: { int32_t x; memcpy(&x, insn->bytes + e->imm_offset, 4); v = x; break; }
	case 8: memcpy(&v, insn->bytes + e->imm_offset, 8); break;
	}
	return (uint64_t)v & mask_of(width);
}

/* Where the one memory operand and the one other operand are. */
struct operands {
	const cs_x86_op *mem, *other;
	bool mem_first;
};

static int split_operands(const cs_x86 *x, struct operands *o, struct emu_plan *plan)
{
	o->mem = o->other = NULL;
	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type == X86_OP_MEM) {
			if (o->mem)
				return refuse(plan, -EOPNOTSUPP, "two memory operands");
			o->mem = op;
			o->mem_first = i == 0;
		} else if (o->other) {
			return refuse(plan, -EOPNOTSUPP, "more operands than the form takes");
		} else {
			o->other = op;
		}
	}
	if (!o->mem)
		return refuse(plan, -EOPNOTSUPP, "no memory operand");
	return 0;
}

/* The register operand OP must be a general register of SIZE bytes (any
 * size when SIZE is 0). */
static int take_gpr(const cs_x86_op *op, unsigned size, struct emu_plan *plan)
{
	if (!op || op->type != X86_OP_REG)
		return refuse(plan, -EOPNOTSUPP, "operand is not a register");
	struct emu_reg r = reg_table[op->reg];
	if (r.kind != EMU_REG_GPR)
		return refuse(plan, -EOPNOTSUPP, "register is not a general register");
	if (size && r.size != size)
		return refuse(plan, -EOPNOTSUPP, "register and memory sizes differ");
	plan->reg = r;
	return 0;
}

/* Register or immediate source of WIDTH bytes. */
static int take_source(const cs_insn *insn, const cs_x86_op *op, unsigned width,
		       struct emu_plan *plan)
{
	if (op && op->type == X86_OP_IMM) {
		plan->has_imm = true;
		plan->imm = immediate(insn, width);
		return 0;
	}
	return take_gpr(op, width, plan);
}

/* ---- the kinds ----------------------------------------------------------- */

static int decode_mov(const cs_insn *insn, const struct operands *o, struct emu_plan *plan)
{
	if (o->mem_first) {
		plan->op = EMU_OP_STORE;
		plan->access = EMU_WRITE;
		return take_source(insn, o->other, plan->width, plan);
	}
	plan->op = EMU_OP_LOAD;
	plan->access = EMU_READ;
	plan->ext = EMU_EXT_NONE;
	return take_gpr(o->other, plan->width, plan);
}

static int decode_load_ext(const struct prefixes *p, const struct form *f,
			   const struct operands *o, struct emu_plan *plan)
{
	if (o->mem_first || take_gpr(o->other, 0, plan))
		return refuse(plan, -EOPNOTSUPP, "extending load without a register destination");
	/* Without REX.W, movsxd is a plain 32-bit move; compilers never emit it
	 * and Capstone shows it as if it had REX.W. */
	if (plan->insn_id == X86_INS_MOVSXD && !(p->rex & 8))
		return refuse(plan, -EOPNOTSUPP, "movsxd without REX.W");
	if (plan->reg.size <= plan->width)
		return refuse(plan, -EOPNOTSUPP, "extending load that does not extend");
	plan->op = EMU_OP_LOAD;
	plan->access = EMU_READ;
	plan->ext = (f->flags & F_SIGN) ? EMU_EXT_SIGN : EMU_EXT_ZERO;
	return 0;
}

static int decode_alu(const cs_insn *insn, const struct form *f,
		      const struct operands *o, struct emu_plan *plan)
{
	plan->op = EMU_OP_ALU;
	bool compare = f->alu == ALU_CMP || f->alu == ALU_TEST;
	if (o->mem_first) {
		plan->access = compare ? EMU_READ : EMU_RMW;
		return take_source(insn, o->other, plan->width, plan);
	}
	plan->access = EMU_READ;
	return take_gpr(o->other, plan->width, plan);
}

static int decode_bit(const cs_insn *insn, const struct form *f,
		      const struct operands *o, const struct emu_cpu *cpu,
		      struct emu_plan *plan)
{
	unsigned bits = 8u * plan->width;
	plan->op = EMU_OP_BIT;
	plan->access = f->alu == ALU_BT ? EMU_READ : EMU_RMW;
	if (!o->mem_first || plan->width < 2)
		return refuse(plan, -EOPNOTSUPP, "bit test without a memory base operand");
	if (o->other && o->other->type == X86_OP_IMM) {
		/* An immediate offset wraps within the operand. */
		plan->has_imm = true;
		plan->imm = immediate(insn, 1);
		plan->bit = (unsigned)plan->imm & (bits - 1);
		return 0;
	}
	int err = take_gpr(o->other, plan->width, plan);
	if (err)
		return err;
	/* A register offset is a signed bit string index: the word holding
	 * the bit is EA + width * floor(offset / bits), the bit within it the
	 * offset modulo bits. */
	uint64_t raw = reg_value(cpu, plan->reg);
	int64_t offset = plan->width == 2 ? (int16_t)raw : plan->width == 4 ?
			 (int32_t)raw : (int64_t)raw;
	int shift = plan->width == 2 ? 4 : plan->width == 4 ? 5 : 6;
	plan->addr += (uint64_t)(offset >> shift) * plan->width;
	plan->bit = (unsigned)((uint64_t)offset & (bits - 1));
	return 0;
}

static int decode_vmov(const struct prefixes *p, const struct form *f,
		       const struct operands *o, struct emu_plan *plan)
{
	const cs_x86_op *r = o->other;
	if (!r || r->type != X86_OP_REG || reg_table[r->reg].kind != EMU_REG_VEC)
		return refuse(plan, -EOPNOTSUPP, "vector move without an xmm/ymm register 0-15");
	plan->reg = reg_table[r->reg];
	if (plan->width != 4 && plan->width != 8 && plan->width != 16 && plan->width != 32)
		return refuse(plan, -EOPNOTSUPP, "vector access of an odd width");
	if ((f->flags & F_ALIGNED) && (plan->addr & (plan->width - 1)))
		return refuse(plan, -EOPNOTSUPP,
			      "misaligned operand of an aligned move (the CPU raises #GP)");
	if (o->mem_first) {
		plan->op = EMU_OP_VSTORE;
		plan->access = EMU_WRITE;
		return 0;
	}
	plan->op = EMU_OP_VLOAD;
	plan->access = EMU_READ;
	bool vex = p->escape == 0xc4 || p->escape == 0xc5;
	plan->ext = vex ? EMU_EXT_ZERO_VLMAX : plan->width == 16 ? EMU_EXT_KEEP : EMU_EXT_ZERO;
	return 0;
}

/* ---- checks against the window and the fault ----------------------------- */

enum place { INSIDE, OUTSIDE, ACROSS };

static enum place place_of(const struct emu_window *w, uint64_t addr, uint64_t size)
{
	if (addr + size < addr)
		return ACROSS;   /* wraps around the address space */
	if (addr >= w->start && addr + size <= w->end)
		return INSIDE;
	if (addr + size <= w->start || addr >= w->end)
		return OUTSIDE;
	return ACROSS;
}

static bool explains(const struct emu_fault *fault, uint64_t addr, uint64_t size,
		     unsigned access)
{
	if (fault->addr - addr >= size)
		return false;
	if (fault->write < 0 || access == EMU_RMW)
		return true;
	return (fault->write == 1) == (access == EMU_WRITE);
}

/* The bytes a string instruction's side covers: COUNT elements of WIDTH
 * from START going up, or down when DF is set. */
static void string_range(uint64_t start, uint64_t count, unsigned width, bool down,
			 uint64_t *lo, uint64_t *size)
{
	*size = count * width;
	*lo = down ? start - (count - 1) * width : start;
}

static int decode_string(const cs_insn *insn, const struct prefixes *p,
			 const struct emu_cpu *cpu, const struct emu_window *w,
			 const struct emu_fault *fault, struct emu_plan *plan)
{
	const cs_x86 *x = &insn->detail->x86;
	bool stos = insn->id >= X86_INS_STOSB && insn->id <= X86_INS_STOSW;
	if (p->lock)
		return refuse(plan, -EOPNOTSUPP, "lock prefix on a string instruction");
	if (p->repne)
		return refuse(plan, -EOPNOTSUPP, "repne on movs/stos");
	if (x->op_count < 1 || x->operands[0].type != X86_OP_MEM)
		return refuse(plan, -EOPNOTSUPP, "string instruction without its operands");
	plan->op = stos ? EMU_OP_STOS : EMU_OP_MOVS;
	/* The element size from the opcode and prefixes: Capstone misses a
	 * 0x66 placed before the rep prefix. */
	plan->width = (x->opcode[0] & 1) == 0 ? 1 : (p->rex & 8) ? 8 : p->opsize ? 2 : 4;
	plan->rep = p->rep;
	plan->count = p->rep ? cpu->gpr[EMU_RCX] : 1;
	plan->dst = cpu->gpr[EMU_RDI];
	plan->src = cpu->gpr[EMU_RSI];
	if (plan->count > (1ull << 40))
		return refuse(plan, -ERANGE, "string longer than any window");

	bool down = cpu->rflags & EMU_DF;
	uint64_t dlo, slo, size;
	string_range(plan->dst, plan->count, plan->width, down, &dlo, &size);
	string_range(plan->src, plan->count, plan->width, down, &slo, &size);
	enum place dp = place_of(w, dlo, size);
	enum place sp = stos ? OUTSIDE : place_of(w, slo, size);
	if (plan->count && (dp == ACROSS || sp == ACROSS))
		return refuse(plan, -ERANGE, "string crosses the window's end");
	plan->dst_in_window = plan->count && dp == INSIDE;
	plan->src_in_window = plan->count && sp == INSIDE;
	if (plan->count && !plan->dst_in_window && !plan->src_in_window)
		return refuse(plan, -EFAULT, "the string instruction touches no byte of the window");
	plan->access = plan->src_in_window ? EMU_READ : EMU_WRITE;
	plan->addr = plan->src_in_window ? plan->src : plan->dst;
	if (!fault)
		return 0;
	if ((plan->dst_in_window && explains(fault, dlo, size, EMU_WRITE)) ||
	    (plan->src_in_window && explains(fault, slo, size, EMU_READ)))
		return 0;
	return refuse(plan, -EFAULT, "the string instruction's accesses do not explain the fault");
}

static int decode_port(const cs_insn *insn, const struct prefixes *p,
		       const struct emu_cpu *cpu, struct emu_plan *plan)
{
	const cs_x86 *x = &insn->detail->x86;
	plan->op = EMU_OP_PORT;
	plan->port_in = insn->id == X86_INS_IN || (insn->id >= X86_INS_INSB && insn->id <= X86_INS_INSW);
	plan->port_string = insn->id != X86_INS_IN && insn->id != X86_INS_OUT;
	plan->rep = p->rep && plan->port_string;
	plan->count = plan->rep ? cpu->gpr[EMU_RCX] : 1;
	plan->port = (uint16_t)cpu->gpr[EMU_RDX];
	for (unsigned i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_IMM)
			plan->port = (uint8_t)x->operands[i].imm;
	/* The width from the opcode and prefixes, as for movs: Capstone
	 * misses a 0x66 placed before the rep prefix (66 f3 6d is rep insw,
	 * not insd). REX.W changes nothing: there is no 64-bit port I/O. */
	plan->width = (x->opcode[0] & 1) == 0 ? 1 : p->opsize ? 2 : 4;
	if (plan->port_string) {
		plan->dst = cpu->gpr[EMU_RDI];
		plan->src = cpu->gpr[EMU_RSI];
	}
	return 0;
}

/* ---- entry ---------------------------------------------------------------- */

int emu_decode(const cs_insn *insn, const struct emu_cpu *cpu,
	       const struct emu_window *window, const struct emu_fault *fault,
	       struct emu_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	if (!insn || !insn->detail || !cpu || !window)
		return refuse(plan, -EINVAL, "no instruction detail");
	if (insn->address != cpu->rip)
		return refuse(plan, -EINVAL, "instruction decoded at another address than rip");
	plan->insn_id = insn->id;
	plan->len = (uint8_t)insn->size;

	struct prefixes p;
	scan_prefixes(insn, &p);
	if (p.addrsize)
		return refuse(plan, -EOPNOTSUPP, "32-bit addressing (0x67 prefix)");
	if (p.fs_gs)
		return refuse(plan, -EOPNOTSUPP, "fs or gs segment override");
	if (p.escape == 0x62)
		return refuse(plan, -EOPNOTSUPP, "EVEX-encoded (AVX-512) instruction");
	if (p.escape == 0x8f && insn->id != X86_INS_POP)
		return refuse(plan, -EOPNOTSUPP, "XOP-encoded instruction");

	const struct form *f = insn->id < X86_INS_ENDING ? &forms[insn->id] : &forms[0];
	const cs_x86 *x = &insn->detail->x86;
	/* Capstone calls both the SSE move and the string move "movsd". */
	bool string = f->kind == K_STRING || (insn->id == X86_INS_MOVSD && x->opcode[0] == 0xa5);
	if (f->kind == K_NONE)
		return refuse(plan, -EOPNOTSUPP, "not an emulated instruction");
	if (f->kind == K_PORT)
		return decode_port(insn, &p, cpu, plan);
	if (string)
		return decode_string(insn, &p, cpu, window, fault, plan);

	struct operands o;
	int err = split_operands(x, &o, plan);
	if (err)
		return err;
	plan->mem_first = o.mem_first;
	plan->width = o.mem->size;
	plan->alu = f->alu;
	if ((err = effective_address(insn, o.mem, cpu, &plan->addr, plan)))
		return err;

	switch (f->kind) {
	case K_MOV: err = decode_mov(insn, &o, plan); break;
	case K_LOAD_EXT: err = decode_load_ext(&p, f, &o, plan); break;
	case K_ALU: err = decode_alu(insn, f, &o, plan); break;
	case K_UNARY:
		plan->op = EMU_OP_UNARY;
		plan->access = EMU_RMW;
		if (o.other)
			err = refuse(plan, -EOPNOTSUPP, "unary form with two operands");
		break;
	case K_BIT: err = decode_bit(insn, f, &o, cpu, plan); break;
	case K_XCHG:
		plan->op = EMU_OP_XCHG;
		plan->access = EMU_RMW;
		plan->atomic = true;   /* xchg with memory locks without a prefix */
		err = take_gpr(o.other, plan->width, plan);
		break;
	case K_XADD:
	case K_CMPXCHG:
		plan->op = f->kind == K_XADD ? EMU_OP_XADD : EMU_OP_CMPXCHG;
		plan->access = EMU_RMW;
		err = o.mem_first ? take_gpr(o.other, plan->width, plan) :
		      refuse(plan, -EOPNOTSUPP, "memory is not the destination");
		break;
	case K_VMOV: err = decode_vmov(&p, f, &o, plan); break;
	}
	if (err)
		return err;
	if (plan->width != 1 && plan->width != 2 && plan->width != 4 && plan->width != 8 &&
	    plan->width != 16 && plan->width != 32)
		return refuse(plan, -EOPNOTSUPP, "access of an odd width");
	if (p.lock) {
		/* The CPU raises #UD for a lock on anything else. */
		if (!(f->flags & F_LOCKABLE) || plan->access != EMU_RMW || !o.mem_first)
			return refuse(plan, -EOPNOTSUPP, "lock prefix on a form that does not take it");
		plan->atomic = true;
	}

	switch (place_of(window, plan->addr, plan->width)) {
	case INSIDE:
		break;
	case ACROSS:
		return refuse(plan, -ERANGE, "the access crosses the window's end");
	case OUTSIDE:
		return refuse(plan, -EFAULT, plan->op == EMU_OP_BIT ?
			      "the bit offset addresses a word outside the window" :
			      "the access lies outside the window");
	}
	if (fault && !explains(fault, plan->addr, plan->width, plan->access))
		return refuse(plan, -EFAULT, "the decoded access is not the one that faulted");
	return 0;
}
