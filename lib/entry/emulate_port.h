/* Port I/O for the emulator: in, out, ins, outs, which emu_decode decodes
 * (EMU_OP_PORT) and this carries out against a bus whose addresses are
 * port numbers. Async-signal-safe, and plain C for normal context. */
#ifndef PF_ENTRY_EMULATE_PORT_H
#define PF_ENTRY_EMULATE_PORT_H

#include "emulate.h"

/* Perform port plan PLAN on CPU through BUS (BUS->rmw is not used):
 *   in      al/ax/eax <- the port (eax zero-extends into rax, as any
 *           32-bit write; al and ax keep the bits above them)
 *   out     the port <- al/ax/eax
 *   ins     [rdi] <- the port, rdi moves by the width (down when DF is set)
 *   outs    the port <- [rsi], rsi moves
 *   with rep: rcx times, one access per element, rcx left 0.
 * The memory side of ins and outs is ordinary memory, accessed directly.
 * Flags are untouched; rip moves past the instruction. As emu_execute, a
 * failed read yields all ones, a failed write is dropped, and the first
 * error is returned; -EINVAL for a plan that is no port plan. */
int emu_execute_port(const struct emu_plan *plan, struct emu_cpu *cpu,
		     const struct emu_bus *bus);

#endif
