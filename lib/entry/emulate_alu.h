/* The integer arithmetic of the emulated forms, with RFLAGS exactly as the
 * CPU sets them. Pure functions of their inputs, safe anywhere. */
#ifndef PF_ENTRY_EMULATE_ALU_H
#define PF_ENTRY_EMULATE_ALU_H

#include <stdint.h>

enum alu_op {
	ALU_NONE,
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR,
	ALU_CMP, ALU_TEST,
	ALU_INC, ALU_DEC, ALU_NEG, ALU_NOT,
	ALU_BT, ALU_BTS, ALU_BTR, ALU_BTC,
};

/* A op B on WIDTH bytes (1, 2, 4 or 8), both already cut to WIDTH; *RFLAGS
 * is read (CF for adc/sbb) and updated. Returns the result cut to WIDTH;
 * for cmp and test it is the difference and the conjunction, for the bit
 * tests the operand with the bit set, cleared or flipped (B is the bit
 * number, already reduced modulo the operand's bits), for the unary forms B
 * is ignored. */
uint64_t alu_compute(enum alu_op op, unsigned width, uint64_t a, uint64_t b,
		     uint64_t *rflags);

/* Learn, by running them, what this CPU does with the flags the SDM leaves
 * undefined for the emulated forms (AF after and/or/xor/test; OF, SF, AF and
 * PF after bt/bts/btr/btc), so the emulation matches the machine it runs on.
 * Normal context, once. Until it runs, the model is what the development
 * machine (an Intel Xeon) does: the logic forms clear AF, the bit tests leave
 * OF, SF, AF and PF as they were. */
void alu_probe_cpu(void);

/* The model in use, for tests and diagnostics: which of the undefined flags
 * the logic forms and the bit tests clear, set, or leave alone. */
struct alu_undefined_model {
	uint32_t logic_clear, logic_set;   /* among AF */
	uint32_t bit_clear, bit_set;       /* among OF SF AF PF */
	int probed;                        /* 1 when measured, -1 when the CPU
					      was found not to follow any such
					      model (the default is kept) */
};
struct alu_undefined_model alu_undefined_model(void);

#endif
