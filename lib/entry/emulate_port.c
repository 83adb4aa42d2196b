#include <errno.h>
#include <string.h>
#include "emulate_port.h"

/* An 8- or 16-bit write keeps the bits above it; a 32-bit one zeroes
 * bits 63:32. */
static void write_accumulator(struct emu_cpu *cpu, const uint8_t *v, unsigned width)
{
	uint64_t *rax = &cpu->gpr[EMU_RAX];
	uint32_t x = 0;
	memcpy(&x, v, width);
	if (width == 4)
		*rax = x;
	else if (width == 2)
		*rax = (*rax & ~0xffffull) | x;
	else
		*rax = (*rax & ~0xffull) | x;
}

static int in_out(const struct emu_plan *p, struct emu_cpu *cpu, const struct emu_bus *bus)
{
	uint8_t v[4];
	int err;
	if (p->port_in) {
		if ((err = bus->read(bus->ctx, p->port, p->width, v)))
			memset(v, 0xff, sizeof v);
		write_accumulator(cpu, v, p->width);
		return err;
	}
	memcpy(v, &cpu->gpr[EMU_RAX], p->width);
	return bus->write(bus->ctx, p->port, p->width, v);
}

/* ins and outs, element by element in the CPU's order. */
static int port_string_op(const struct emu_plan *p, struct emu_cpu *cpu, const struct emu_bus *bus)
{
	unsigned w = p->width;
	uint64_t step = (cpu->rflags & EMU_DF) ? -(uint64_t)w : w;
	uint64_t mem = p->port_in ? p->dst : p->src;
	uint8_t v[4];
	int err = 0, e;
	for (uint64_t i = 0; i < p->count; i++, mem += step) {
		if (p->port_in) {
			if ((e = bus->read(bus->ctx, p->port, w, v))) {
				memset(v, 0xff, w);
				err = err ? err : e;
			}
			memcpy((void *)(uintptr_t)mem, v, w);
		} else {
			memcpy(v, (const void *)(uintptr_t)mem, w);
			if ((e = bus->write(bus->ctx, p->port, w, v)))
				err = err ? err : e;
		}
	}
	cpu->gpr[p->port_in ? EMU_RDI : EMU_RSI] = mem;
	if (p->rep)
		cpu->gpr[EMU_RCX] = 0;
	return err;
}

int emu_execute_port(const struct emu_plan *plan, struct emu_cpu *cpu,
		     const struct emu_bus *bus)
{
	if (!plan || !cpu || !bus || plan->refusal || plan->op != EMU_OP_PORT ||
	    (plan->width != 1 && plan->width != 2 && plan->width != 4))
		return -EINVAL;
	int err = plan->port_string ? port_string_op(plan, cpu, bus) : in_out(plan, cpu, bus);
	cpu->rip += plan->len;
	return err;
}
