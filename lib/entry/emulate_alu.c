/* Integer results and RFLAGS of the emulated arithmetic.
 *
 * Defined flags follow the SDM's definitions, computed on 128 bits where a
 * carry out of 64 matters. The flags the SDM leaves undefined are what the
 * CPU under us does: alu_probe_cpu runs the instructions natively and keeps
 * the answer, so the emulation matches this machine rather than an average
 * of machines. */
#include <stdatomic.h>
#include <stdbool.h>
#include "cpu_state.h"
#include "emulate_alu.h"

/* The model packed in one word (so a handler never sees half an update):
 * four 12-bit flag masks, then the probe's verdict. */
#define MODEL(lc, ls, bc, bs, probed) \
	((uint64_t)(lc) | (uint64_t)(ls) << 12 | (uint64_t)(bc) << 24 | \
	 (uint64_t)(bs) << 36 | (uint64_t)(uint8_t)(probed) << 48)
#define BIT_UNDEFINED (EMU_OF | EMU_SF | EMU_AF | EMU_PF)

static _Atomic uint64_t model = MODEL(EMU_AF, 0, 0, 0, 0);

struct alu_undefined_model alu_undefined_model(void)
{
	uint64_t m = atomic_load_explicit(&model, memory_order_relaxed);
	return (struct alu_undefined_model){
		.logic_clear = m & 0xfff, .logic_set = m >> 12 & 0xfff,
		.bit_clear = m >> 24 & 0xfff, .bit_set = m >> 36 & 0xfff,
		.probed = (int8_t)(m >> 48),
	};
}

static uint64_t mask_of(unsigned width)
{
	return width >= 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

static uint64_t sign_of(uint64_t v, unsigned width)
{
	return v >> (8 * width - 1) & 1;
}

/* ZF, SF and PF of a result: PF looks at the low byte only. */
static uint64_t zsp(uint64_t r, unsigned width)
{
	uint64_t f = 0;
	if (r == 0)
		f |= EMU_ZF;
	if (sign_of(r, width))
		f |= EMU_SF;
	if (!(__builtin_popcountll(r & 0xff) & 1))
		f |= EMU_PF;
	return f;
}

static uint64_t add(unsigned width, uint64_t a, uint64_t b, unsigned carry,
		    uint64_t *flags)
{
	unsigned __int128 wide = (unsigned __int128)a + b + carry;
	uint64_t r = (uint64_t)wide & mask_of(width);
	*flags = zsp(r, width) | ((a ^ b ^ r) & EMU_AF);
	if ((wide >> (8 * width)) & 1)
		*flags |= EMU_CF;
	if (sign_of((a ^ r) & (b ^ r), width))
		*flags |= EMU_OF;
	return r;
}

static uint64_t sub(unsigned width, uint64_t a, uint64_t b, unsigned borrow,
		    uint64_t *flags)
{
	uint64_t r = (a - b - borrow) & mask_of(width);
	*flags = zsp(r, width) | ((a ^ b ^ r) & EMU_AF);
	if ((unsigned __int128)a < (unsigned __int128)b + borrow)
		*flags |= EMU_CF;
	if (sign_of((a ^ b) & (a ^ r), width))
		*flags |= EMU_OF;
	return r;
}

/* Apply the undefined-flag model: flags in CLEAR become 0, in SET become 1,
 * the rest of UNDEFINED keep their old value. */
static uint64_t undefined_flags(uint64_t old, uint32_t undefined,
				uint32_t clear, uint32_t set)
{
	uint64_t keep = undefined & ~(clear | set);
	return (old & keep) | set;
}

uint64_t alu_compute(enum alu_op op, unsigned width, uint64_t a, uint64_t b,
		     uint64_t *rflags)
{
	uint64_t m = atomic_load_explicit(&model, memory_order_relaxed);
	uint64_t old = *rflags, f = 0, r;
	uint64_t touched = EMU_ARITH_FLAGS;
	unsigned cf = old & EMU_CF;
	unsigned bits = 8 * width;

	switch (op) {
	case ALU_ADD: r = add(width, a, b, 0, &f); break;
	case ALU_ADC: r = add(width, a, b, cf, &f); break;
	case ALU_SUB:
	case ALU_CMP: r = sub(width, a, b, 0, &f); break;
	case ALU_SBB: r = sub(width, a, b, cf, &f); break;
	case ALU_NEG: r = sub(width, 0, a, 0, &f); break;
	case ALU_INC:   /* CF is left alone */
		r = add(width, a, 1, 0, &f);
		f = (f & ~(uint64_t)EMU_CF) | cf;
		break;
	case ALU_DEC:
		r = sub(width, a, 1, 0, &f);
		f = (f & ~(uint64_t)EMU_CF) | cf;
		break;
	case ALU_AND:
	case ALU_TEST:
	case ALU_OR:
	case ALU_XOR:
		r = op == ALU_OR ? a | b : op == ALU_XOR ? a ^ b : a & b;
		/* OF and CF cleared; AF undefined. */
		f = zsp(r, width) | undefined_flags(old, EMU_AF, m & 0xfff, m >> 12 & 0xfff);
		break;
	case ALU_NOT:
		return ~a & mask_of(width);
	case ALU_BT:
	case ALU_BTS:
	case ALU_BTR:
	case ALU_BTC: {
		uint64_t bit = 1ull << (b & (bits - 1));
		f = (a & bit) ? EMU_CF : 0;
		f |= undefined_flags(old, BIT_UNDEFINED, m >> 24 & 0xfff, m >> 36 & 0xfff);
		f |= old & EMU_ZF;   /* ZF is unaffected */
		r = op == ALU_BTS ? a | bit : op == ALU_BTR ? a & ~bit :
		    op == ALU_BTC ? a ^ bit : a;
		break;
	}
	default:
		return a;
	}
	*rflags = (old & ~touched) | f;
	return r;
}

/* ---- the probe ----------------------------------------------------------- */

/* RFLAGS after one native instruction run with flags IN. The stack pointer
 * is moved below the red zone first: the compiler may keep live values
 * there, and push would overwrite them. */
#define NATIVE(insn)                                                        \
	static uint64_t native_##insn(uint64_t in, uint64_t a, uint64_t b)  \
	{                                                                   \
		uint64_t out;                                               \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"               \
				 "push %1\n\tpopfq\n\t"                      \
				 #insn " %3, %2\n\t"                         \
				 "pushfq\n\tpop %0\n\t"                      \
				 "lea 128(%%rsp), %%rsp"                     \
				 : "=&r"(out), "+r"(in), "+r"(a)             \
				 : "r"(b) : "cc", "memory");                 \
		return out;                                                 \
	}
NATIVE(and) NATIVE(or) NATIVE(xor) NATIVE(test)
NATIVE(bt) NATIVE(bts) NATIVE(btr) NATIVE(btc)

/* For each flag in UNDEFINED, what the instructions did with it over a set
 * of inputs: always cleared, always set, always kept. False when some flag
 * did none of these consistently. */
static bool classify(uint64_t (*const run[4])(uint64_t, uint64_t, uint64_t),
		     uint32_t undefined, uint32_t *clear, uint32_t *set)
{
	static const uint64_t operands[][2] = {
		{ 0, 0 }, { ~0ull, 1 }, { 0x8000000000000001ull, 63 },
		{ 0x0f0f0f0f0f0f0f0full, 4 }, { 0x10, 0x10 }, { 0x7f, 7 },
	};
	uint32_t always0 = undefined, always1 = undefined, kept = undefined;
	for (unsigned r = 0; r < 4; r++)
		for (unsigned i = 0; i < sizeof operands / sizeof operands[0]; i++)
			for (unsigned in = 0; in < 2; in++) {
				uint64_t flags_in = 0x2 | (in ? undefined : 0);
				uint64_t out = run[r](flags_in, operands[i][0], operands[i][1]);
				always0 &= ~out;
				always1 &= out;
				kept &= ~(out ^ flags_in);
			}
	*clear = always0;
	*set = always1;
	return (always0 | always1 | kept) == undefined;
}

void alu_probe_cpu(void)
{
	static uint64_t (*const logic[4])(uint64_t, uint64_t, uint64_t) = {
		native_and, native_or, native_xor, native_test,
	};
	static uint64_t (*const bits[4])(uint64_t, uint64_t, uint64_t) = {
		native_bt, native_bts, native_btr, native_btc,
	};
	uint32_t lc, ls, bc, bs;
	bool ok = classify(logic, EMU_AF, &lc, &ls);
	ok = classify(bits, BIT_UNDEFINED, &bc, &bs) && ok;
	if (ok)
		atomic_store(&model, MODEL(lc, ls, bc, bs, 1));
	else
		atomic_store(&model, (atomic_load(&model) & ~(0xffull << 48)) |
				     MODEL(0, 0, 0, 0, -1));
}
