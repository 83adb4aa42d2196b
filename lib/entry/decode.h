/* "What is the instruction at RIP?" — Capstone behind a tiny interface, with
 * a cache keyed by RIP so a hot call site is decoded once. Safe in the fault
 * handler: the Capstone handle and instruction buffer are the thread's own,
 * made when it joined (cs_disasm_iter then allocates nothing). */
#ifndef PF_DECODE_H
#define PF_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

struct pf_thread;

enum insn_kind {
	INSN_OTHER,      /* anything pfipc does not turn into a call */
	INSN_CALL_MEM,   /* call qword ptr [mem] */
	INSN_JMP_MEM,    /* jmp qword ptr [mem] (a tail call) */
	INSN_MOV_LOAD,   /* mov r64, qword ptr [mem] */
};

/* What the handler needs of one instruction; a memory operand is
 * [base + index*scale + disp], with base == REG_RIP_REL for rip-relative. */
struct insn {
	uint8_t kind;
	uint8_t len;
	int8_t dest;     /* MOV_LOAD: the destination's index in gregs */
	int8_t base;     /* gregs index, NO_REG or RIP_REL */
	int8_t index;    /* gregs index or NO_REG */
	uint8_t scale;
	uint8_t prefix;  /* OTHER: a prefix byte that ruled out a call shape */
	int32_t disp;
};
#define INSN_NO_REG  (-1)
#define INSN_RIP_REL (-2)

/* Per-thread decoder state: set up by decoder_open in normal context. */
struct decoder;
struct decoder *decoder_open(void);
void decoder_close(struct decoder *dec);

/* Decode the instruction at RIP (cache first). Returns false when the bytes
 * cannot be decoded at all. Async-signal-safe. */
bool decode_at(struct decoder *dec, uintptr_t rip, struct insn *out);

/* The effective address of INSN's memory operand in context GREGS. */
uintptr_t insn_operand_address(const struct insn *in, uintptr_t rip,
			       const greg_t *gregs);

/* The instruction at RIP decoded by Capstone with detail, in DEC's own
 * buffer (valid until DEC decodes again), or NULL. No cache: for the
 * window entries, whose emulation needs the whole instruction.
 * Async-signal-safe. */
struct cs_insn;
const struct cs_insn *decode_insn(struct decoder *dec, uintptr_t rip);

/* "mnemonic operands" of the instruction at RIP, for diagnostics. */
void decode_text(struct decoder *dec, uintptr_t rip, char *buf, size_t cap);

/* Turn the cache off (PFIPC_DECODE_CACHE=0): every fault asks Capstone. */
void decode_cache_enable(bool on);

#endif
