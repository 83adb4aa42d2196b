/* Performing a plan: the accesses through the bus, then registers, flags
 * and rip as the CPU would have left them.
 *
 * Every form is one function of the bytes read (apply below) that updates
 * the registers and says what to write back. The same function runs in
 * three ways: after a read (loads, compares), before a write (stores), and
 * between the two, either here (a plain read-modify-write, which the CPU
 * does not make atomic either) or on the owner's side inside one rmw
 * callback (lock, xchg), so nothing else reaches the window in between. */
#include <errno.h>
#include <string.h>
#include "emulate.h"

static uint64_t mask_of(unsigned width)
{
	return width >= 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

static uint64_t gpr_read(const struct emu_cpu *cpu, struct emu_reg r)
{
	uint64_t v = cpu->gpr[r.num];
	return r.high ? (v >> 8) & 0xff : v & mask_of(r.size);
}

/* The partial-register rules: an 8- or 16-bit write keeps the bits above
 * it, a 32-bit write zeroes bits 63:32, ah-bh are bits 15:8. */
static void gpr_write(struct emu_cpu *cpu, struct emu_reg r, uint64_t v)
{
	uint64_t *g = &cpu->gpr[r.num];
	switch (r.size) {
	case 1:
		if (r.high)
			*g = (*g & ~0xff00ull) | (v & 0xff) << 8;
		else
			*g = (*g & ~0xffull) | (v & 0xff);
		break;
	case 2: *g = (*g & ~0xffffull) | (v & 0xffff); break;
	case 4: *g = (uint32_t)v; break;
	default: *g = v; break;
	}
}

static uint64_t bytes_to_u64(const void *p, unsigned width)
{
	uint64_t v = 0;
	memcpy(&v, p, width < 8 ? width : 8);
	return v;
}

static void u64_to_bytes(void *p, uint64_t v, unsigned width)
{
	memcpy(p, &v, width < 8 ? width : 8);
}

static uint64_t sign_extend(uint64_t v, unsigned width)
{
	unsigned shift = 64 - 8 * width;
	return (uint64_t)((int64_t)(v << shift) >> shift);
}

/* The vector register after a load of WIDTH bytes: see enum emu_ext. */
static void vector_load(struct emu_cpu *cpu, const struct emu_plan *p, const void *value)
{
	struct emu_vec *v = &cpu->vec[p->reg.num];
	uint8_t *b = (uint8_t *)v->q;
	/* Legacy SSE leaves bytes 16-31 alone; VEX clears them too. */
	unsigned keep_from = p->ext == EMU_EXT_ZERO_VLMAX ? 32 : 16;
	memcpy(b, value, p->width);
	if (p->width < keep_from)
		memset(b + p->width, 0, keep_from - p->width);
	cpu->vec_written |= (uint16_t)(1u << p->reg.num);
	if (p->ext == EMU_EXT_ZERO_VLMAX)
		cpu->vec_zero_above_256 |= (uint16_t)(1u << p->reg.num);
}

struct step {
	const struct emu_plan *plan;
	struct emu_cpu *cpu;
	bool ran;
};

/* The instruction's work on VALUE, the bytes at the window address (read
 * already, or to be written). Returns true when VALUE is to be written. */
static bool apply(void *ctx, void *value)
{
	struct step *s = ctx;
	const struct emu_plan *p = s->plan;
	struct emu_cpu *cpu = s->cpu;
	unsigned w = p->width;
	uint64_t m = w <= 8 ? bytes_to_u64(value, w) : 0;
	uint64_t src = p->has_imm ? p->imm : p->reg.kind == EMU_REG_GPR ? gpr_read(cpu, p->reg) : 0;
	uint64_t r;
	s->ran = true;

	switch (p->op) {
	case EMU_OP_LOAD:
		gpr_write(cpu, p->reg, p->ext == EMU_EXT_SIGN ? sign_extend(m, w) : m);
		return false;
	case EMU_OP_STORE:
		u64_to_bytes(value, src, w);
		return true;
	case EMU_OP_ALU:
		r = p->mem_first ? alu_compute(p->alu, w, m, src, &cpu->rflags) :
				   alu_compute(p->alu, w, src, m, &cpu->rflags);
		if (p->alu == ALU_CMP || p->alu == ALU_TEST)
			return false;
		if (!p->mem_first) {
			gpr_write(cpu, p->reg, r);
			return false;
		}
		u64_to_bytes(value, r, w);
		return true;
	case EMU_OP_UNARY:
		u64_to_bytes(value, alu_compute(p->alu, w, m, 0, &cpu->rflags), w);
		return true;
	case EMU_OP_BIT:
		r = alu_compute(p->alu, w, m, p->bit, &cpu->rflags);
		if (p->alu == ALU_BT)
			return false;
		u64_to_bytes(value, r, w);
		return true;
	case EMU_OP_XCHG:
		u64_to_bytes(value, src, w);
		gpr_write(cpu, p->reg, m);
		return true;
	case EMU_OP_XADD:
		r = alu_compute(ALU_ADD, w, m, src, &cpu->rflags);
		u64_to_bytes(value, r, w);
		gpr_write(cpu, p->reg, m);
		return true;
	case EMU_OP_CMPXCHG: {
		struct emu_reg acc = { EMU_REG_GPR, EMU_RAX, (uint8_t)w, 0 };
		alu_compute(ALU_CMP, w, gpr_read(cpu, acc), m, &cpu->rflags);
		if (cpu->rflags & EMU_ZF) {
			u64_to_bytes(value, src, w);
			return true;
		}
		gpr_write(cpu, acc, m);
		return false;
	}
	case EMU_OP_VLOAD:
		vector_load(cpu, p, value);
		return false;
	case EMU_OP_VSTORE:
		memcpy(value, cpu->vec[p->reg.num].q, w);
		return true;
	}
	return false;
}

/* One access of the plan's width at the plan's address. */
static int access_window(const struct emu_plan *p, struct emu_cpu *cpu,
			 const struct emu_bus *bus)
{
	_Alignas(32) uint8_t value[32];
	struct step s = { p, cpu, false };
	int err = 0, err2;

	switch (p->access) {
	case EMU_READ:
		if ((err = bus->read(bus->ctx, p->addr, p->width, value)))
			memset(value, 0xff, p->width);
		apply(&s, value);
		break;
	case EMU_WRITE:
		memset(value, 0, sizeof value);
		apply(&s, value);
		err = bus->write(bus->ctx, p->addr, p->width, value);
		break;
	case EMU_RMW:
		if (p->atomic) {
			err = bus->rmw(bus->ctx, p->addr, p->width, apply, &s);
			if (err && !s.ran) {
				/* The owner never saw it: finish as after a failed read. */
				memset(value, 0xff, p->width);
				apply(&s, value);
			}
			break;
		}
		if ((err = bus->read(bus->ctx, p->addr, p->width, value)))
			memset(value, 0xff, p->width);
		if (apply(&s, value) &&
		    (err2 = bus->write(bus->ctx, p->addr, p->width, value)) && !err)
			err = err2;
		break;
	}
	return err;
}

/* movs and stos, element by element in the CPU's order, so overlapping
 * source and destination in one window come out as on the CPU and the
 * owner sees each element's access as a device would. */
static int string_op(const struct emu_plan *p, struct emu_cpu *cpu,
		     const struct emu_bus *bus)
{
	unsigned w = p->width;
	uint64_t step = (cpu->rflags & EMU_DF) ? -(uint64_t)w : w;
	uint64_t src = p->src, dst = p->dst;
	uint8_t value[8];
	int err = 0, e;

	for (uint64_t i = 0; i < p->count; i++, src += step, dst += step) {
		if (p->op == EMU_OP_STOS) {
			u64_to_bytes(value, cpu->gpr[EMU_RAX], w);
		} else if (!p->src_in_window) {
			memcpy(value, (const void *)(uintptr_t)src, w);
		} else if ((e = bus->read(bus->ctx, src, w, value))) {
			memset(value, 0xff, w);
			err = err ? err : e;
		}
		if (!p->dst_in_window)
			memcpy((void *)(uintptr_t)dst, value, w);
		else if ((e = bus->write(bus->ctx, dst, w, value)))
			err = err ? err : e;
	}
	cpu->gpr[EMU_RDI] = dst;
	if (p->op == EMU_OP_MOVS)
		cpu->gpr[EMU_RSI] = src;
	if (p->rep)
		cpu->gpr[EMU_RCX] = 0;
	return err;
}

int emu_execute(const struct emu_plan *plan, struct emu_cpu *cpu,
		const struct emu_bus *bus)
{
	int err;
	if (!plan || !cpu || !bus || plan->refusal)
		return -EINVAL;
	switch (plan->op) {
	case EMU_OP_PORT:
		return -EOPNOTSUPP;
	case EMU_OP_MOVS:
	case EMU_OP_STOS:
		err = string_op(plan, cpu, bus);
		break;
	default:
		err = access_window(plan, cpu, bus);
		break;
	}
	cpu->rip += plan->len;
	return err;
}

void emu_init(void)
{
	alu_probe_cpu();
	cpu_state_init();
}
