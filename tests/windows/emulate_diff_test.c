/* Differential test of the window instruction emulator against the CPU.
 *
 * Random instructions from the emulated list (every form, operand size,
 * register including r8-r15 and ah-bh, prefix, immediate and addressing
 * mode the encoder below knows) run twice from the same random state: once
 * natively, on ordinary pages holding the window's bytes, through a
 * harness that loads and stores every register; once through the emulator,
 * against callbacks over a copy of those bytes. Every general register,
 * the arithmetic flags and DF, every vector register and every byte of the
 * window and of the ordinary page must agree. A second run goes through a
 * real fault: the window is PROT_NONE and a SIGSEGV handler converts the
 * signal context, decodes, emulates and writes the context back. A third
 * run goes through pfipc end to end: the instruction's addresses are moved
 * into a real window mapping (pf_window_map), whose owner process serves
 * each access from a plain copy of the window's bytes, once by message
 * passing and once migrating, so what is compared is everything pfipc does
 * around the emulator too (the restore frame, the accesses as calls, every
 * register coming back).
 *
 *   emulate_diff_test [--seed N] [--count N] [--signal-count N]
 *                     [--window-count N] [--bench]
 *
 * The seed is printed at the start and with every failure; the same seed
 * and count give the same instructions. At the end the test prints how
 * often each instruction occurred, and fails if an emulated instruction
 * (emu_insn_emulated), or the lock and rep variants it expects, never did. */
#include <capstone/capstone.h>
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>
#include "entry/emulate.h"
#include "harness.h"
#include <pfipc.h>

/* ---- options and randomness --------------------------------------------- */

static uint64_t opt_seed;
static unsigned long opt_count = 100000;
static unsigned long opt_signal_count = 20000;
static unsigned long opt_window_count = 3000;
static bool opt_bench;

static uint64_t rng;

static uint64_t rnd(void)   /* splitmix64: small, fast, reproducible */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

/* A value that often sits on an edge: 0, all ones, sign bits, small. */
static uint64_t interesting(void)
{
	static const uint64_t edges[] = {
		0, 1, ~0ull, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
		0x0f, 0x10, 0xfe, 0x100,
	};
	switch (below(4)) {
	case 0: return edges[below(sizeof edges / sizeof edges[0])];
	case 1: return edges[below(sizeof edges / sizeof edges[0])] + below(3) - 1;
	case 2: return below(256);
	default: return rnd();
	}
}

/* ---- memory ---------------------------------------------------------------
 * One fixed mapping below 2 GiB (so absolute disp32 addresses reach it):
 *   page 0 code, 1 guard, 2-3 window, 4 guard, 5 ordinary, 6 guard.
 * A stray access of the native run lands on a guard page and is reported. */
#define PAGE 4096u
#define REGION_PAGES 7
#define WIN_OFF (2 * PAGE)
#define WIN_SIZE (2 * PAGE)
#define ORD_OFF (5 * PAGE)
#define ORD_SIZE PAGE

static uint8_t *region;
static uint64_t code_base, win_base, ord_base;
static uint8_t shadow[WIN_SIZE];
static uint8_t snap_win[WIN_SIZE], snap_ord[ORD_SIZE];
static uint8_t native_win[WIN_SIZE], native_ord[ORD_SIZE];

static bool have_avx, have_avx2;

static int map_region(void)
{
	for (uint64_t at = 0x30000000; at < 0x70000000; at += 0x01000000) {
		void *p = mmap((void *)at, REGION_PAGES * PAGE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		if (p != (void *)at) {
			munmap(p, REGION_PAGES * PAGE);
			continue;
		}
		region = p;
		code_base = at;
		win_base = at + WIN_OFF;
		ord_base = at + ORD_OFF;
		if (mprotect(region, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC) ||
		    mprotect(region + WIN_OFF, WIN_SIZE, PROT_READ | PROT_WRITE) ||
		    mprotect(region + ORD_OFF, ORD_SIZE, PROT_READ | PROT_WRITE))
			return -errno;
		return 0;
	}
	return -ENOMEM;
}

/* ---- encoder -------------------------------------------------------------- */

enum mode { M_BASE, M_BASE_INDEX, M_INDEX, M_ABS, M_RIP, M_MOFFS, M_NMODES };
static const char *const mode_names[] = {
	"[base+disp]", "[base+index*scale+disp]", "[index*scale+disp32]", "[disp32]",
	"[rip+disp32]", "[moffs64]",
};

struct memop {
	enum mode mode;
	unsigned base, index, scale;   /* register numbers 0-15, scale 1/2/4/8 */
	int64_t disp;
	unsigned dispsz;               /* 0, 1, 4 (8 for moffs) */
	bool sib;                      /* M_BASE through a SIB byte */
	bool rex_b_no_base;            /* REX.B set where the base field means "none" */
};

struct enc {
	uint8_t b[32];
	unsigned n;
	unsigned disp_at;              /* where a rip-relative disp32 goes */
};

static void put(struct enc *e, uint8_t byte)
{
	e->b[e->n++] = byte;
}

static void put_le(struct enc *e, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		put(e, (uint8_t)(v >> (8 * i)));
}

/* REX.X and REX.B bits the memory operand needs. */
static unsigned rex_xb(const struct memop *m)
{
	unsigned r = 0;
	if (m->mode == M_BASE || m->mode == M_BASE_INDEX)
		r |= (m->base >> 3) & 1;
	if (m->mode == M_INDEX || m->mode == M_ABS)
		r |= m->rex_b_no_base;
	if (m->mode == M_BASE_INDEX || m->mode == M_INDEX)
		r |= ((m->index >> 3) & 1) << 1;
	return r;
}

static unsigned scale_bits(unsigned scale)
{
	return scale == 1 ? 0 : scale == 2 ? 1 : scale == 4 ? 2 : 3;
}

static void put_modrm(struct enc *e, unsigned reg, const struct memop *m)
{
	unsigned mod = m->dispsz == 0 ? 0 : m->dispsz == 1 ? 1 : 2;
	reg &= 7;
	switch (m->mode) {
	case M_RIP:
		put(e, (uint8_t)(reg << 3 | 5));
		e->disp_at = e->n;
		put_le(e, 0, 4);
		return;
	case M_ABS:
		put(e, (uint8_t)(reg << 3 | 4));
		put(e, (uint8_t)(scale_bits(m->scale) << 6 | 4 << 3 | 5));
		put_le(e, (uint64_t)m->disp, 4);
		return;
	case M_INDEX:
		put(e, (uint8_t)(reg << 3 | 4));
		put(e, (uint8_t)(scale_bits(m->scale) << 6 | (m->index & 7) << 3 | 5));
		put_le(e, (uint64_t)m->disp, 4);
		return;
	case M_BASE:
		if (!m->sib && (m->base & 7) != 4) {
			put(e, (uint8_t)(mod << 6 | reg << 3 | (m->base & 7)));
			break;
		}
		put(e, (uint8_t)(mod << 6 | reg << 3 | 4));
		put(e, (uint8_t)(scale_bits(m->scale) << 6 | 4 << 3 | (m->base & 7)));
		break;
	case M_BASE_INDEX:
		put(e, (uint8_t)(mod << 6 | reg << 3 | 4));
		put(e, (uint8_t)(scale_bits(m->scale) << 6 | (m->index & 7) << 3 | (m->base & 7)));
		break;
	default:
		return;
	}
	put_le(e, (uint64_t)m->disp, m->dispsz);
}

/* ---- one generated case ------------------------------------------------ */

struct gen {
	struct enc e;
	uint64_t rip;
	struct h_state in;
	bool has_fault;
	uint64_t fault_addr;
	const char *form;              /* the generator's name for it */
	bool lock, rep;
	struct memop m;
	bool used[16];                 /* registers holding an address */
	bool string;                   /* movs/stos: which sides are in the window */
	bool dst_in_window, src_in_window;
};

/* Generating for the run through a real window (pf_window_map): the
 * window's address is far from the code, so only operands a register
 * points into the window can be moved there (base, or base + index with
 * another index register); rsp points at a real stack (pfipc's frame
 * goes below it) and is never written; the register operand is never an
 * address register, so moving the address registers changes nothing
 * else. */
static bool e2e_mode;
static uint64_t e2e_stack_top;

/* Pick an addressing mode and its registers, none from AVOID. */
static void pick_memop(struct gen *g, uint32_t avoid)
{
	struct memop *m = &g->m;
	memset(m, 0, sizeof *m);
	unsigned r = (unsigned)below(100);
	m->mode = r < 35 ? M_BASE : r < 70 ? M_BASE_INDEX : r < 80 ? M_INDEX : r < 87 ? M_ABS : M_RIP;
	if (e2e_mode) {
		m->mode = r < 50 ? M_BASE : M_BASE_INDEX;
		avoid |= 1u << EMU_RSP;
	}
	do
		m->base = (unsigned)below(16);
	while (avoid & (1u << m->base));
	do
		m->index = (unsigned)below(16);
	while ((avoid & (1u << m->index)) || m->index == 4);   /* rsp is no index */
	if (m->mode == M_BASE_INDEX && chance(15) && m->base != 4 && !e2e_mode)
		m->index = m->base;
	if (m->mode == M_BASE_INDEX && e2e_mode && m->index == m->base)
		m->mode = M_BASE;
	m->scale = 1u << below(4);
	m->dispsz = (unsigned[]){ 0, 1, 4 }[below(3)];
	if (m->mode == M_BASE && !(m->base == 4 || m->base == 12))
		m->sib = chance(10);
	/* [rbp]/[r13] with no displacement is another encoding: use disp8 0. */
	if ((m->mode == M_BASE || m->mode == M_BASE_INDEX) && (m->base & 7) == 5 && m->dispsz == 0)
		m->dispsz = 1;
	if (m->mode == M_INDEX || m->mode == M_ABS || m->mode == M_RIP)
		m->dispsz = 4;
	m->rex_b_no_base = chance(20);
}

/* Multiplicative inverse of odd A modulo 2^64 (Newton's iteration). */
static uint64_t inverse(uint64_t a)
{
	uint64_t x = a;
	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

/* Set the address registers (and displacement) so the operand is EA. */
static void solve_memop(struct gen *g, uint64_t ea)
{
	struct memop *m = &g->m;
	int64_t disp = m->dispsz == 1 ? (int64_t)below(255) - 127 :
		       m->dispsz == 4 ? (int64_t)(int32_t)rnd() : 0;
	switch (m->mode) {
	case M_BASE:
		m->disp = disp;
		g->in.gpr[m->base] = ea - (uint64_t)disp;
		g->used[m->base] = true;
		break;
	case M_BASE_INDEX:
		m->disp = disp;
		if (m->base != m->index) {
			uint64_t x = chance(50) ? rnd() : below(64);
			g->in.gpr[m->index] = x;
			g->in.gpr[m->base] = ea - (uint64_t)disp - x * m->scale;
		} else {
			uint64_t want = ea - (uint64_t)m->disp;
			if (m->scale == 1 && (want & 1)) {
				m->scale = 2;   /* 2x cannot be odd; 3x can */
			}
			if (m->scale == 1)
				g->in.gpr[m->base] = want / 2 + (chance(50) ? 1ull << 63 : 0);
			else
				g->in.gpr[m->base] = want * inverse(m->scale + 1);
		}
		g->used[m->base] = g->used[m->index] = true;
		break;
	case M_INDEX: {
		int64_t k = (int64_t)below(1u << 27) - (1 << 26);
		m->disp = (int64_t)ea - (int64_t)m->scale * k;
		g->in.gpr[m->index] = (uint64_t)k;
		g->used[m->index] = true;
		break;
	}
	case M_ABS:
		m->disp = (int64_t)ea;
		break;
	case M_RIP:
	case M_MOFFS:
		m->disp = (int64_t)ea;   /* rip-relative: patched once the length is known */
		break;
	default:
		break;
	}
}

static void finish_rip(struct gen *g)
{
	if (g->m.mode != M_RIP)
		return;
	int64_t d = g->m.disp - (int64_t)(g->rip + g->e.n);
	for (unsigned i = 0; i < 4; i++)
		g->e.b[g->e.disp_at + i] = (uint8_t)((uint64_t)d >> (8 * i));
}

/* A harmless segment prefix now and then: cs ds es ss have base 0. */
static void maybe_segment(struct enc *e)
{
	static const uint8_t segs[] = { 0x2e, 0x3e, 0x26, 0x36 };
	if (chance(4))
		put(e, segs[below(4)]);
}

/* Legacy encoding: prefixes in random order, REX when needed (or, for a
 * byte register operand, at random: it turns ah-bh into spl-dil), opcode
 * bytes, ModRM, SIB, displacement, immediate. */
struct legacy {
	unsigned opsize;           /* 1 2 4 8 */
	bool lock, rep;
	uint8_t mandatory;         /* SSE's 66/f2/f3, or 0 */
	bool rexw;                 /* REX.W other than for opsize 8 */
	bool byte_reg;             /* the reg field names a byte register */
	bool no66;                 /* no redundant 0x66 with REX.W */
	const uint8_t *opc;
	unsigned nopc;
	unsigned reg;              /* ModRM.reg: register number or /digit */
	bool no_modrm;             /* string and moffs forms */
	unsigned immsz;
	uint64_t imm;
};

static void emit_legacy(struct gen *g, const struct legacy *l)
{
	struct enc *e = &g->e;
	uint8_t pfx[4];
	unsigned np = 0;
	if (l->opsize == 2 || (l->opsize == 8 && !l->no66 && chance(5)))
		pfx[np++] = 0x66;   /* with REX.W a 66 changes nothing */
	if (l->lock)
		pfx[np++] = 0xf0;
	if (l->rep)
		pfx[np++] = 0xf3;
	for (unsigned i = np; i > 1; i--) {
		unsigned j = (unsigned)below(i);
		uint8_t t = pfx[i - 1]; pfx[i - 1] = pfx[j]; pfx[j] = t;
	}
	maybe_segment(e);
	/* A REX followed by another prefix is ignored by the CPU. */
	if ((np || l->mandatory) && chance(3))
		put(e, (uint8_t)(0x40 | below(16)));
	for (unsigned i = 0; i < np; i++)
		put(e, pfx[i]);
	if (l->mandatory)
		put(e, l->mandatory);
	unsigned rex = 0;
	if (l->opsize == 8 || l->rexw)
		rex |= 8;
	if (!l->no_modrm)
		rex |= ((l->reg >> 3) & 1) << 2 | rex_xb(&g->m);
	bool want = rex || (l->byte_reg && chance(50)) || (!l->byte_reg && chance(5));
	if (want)
		put(e, (uint8_t)(0x40 | rex));
	for (unsigned i = 0; i < l->nopc; i++)
		put(e, l->opc[i]);
	if (l->no_modrm) {
		if (g->m.mode == M_MOFFS)
			put_le(e, (uint64_t)g->m.disp, 8);
	} else {
		put_modrm(e, l->reg, &g->m);
	}
	put_le(e, l->imm, l->immsz);
}

/* VEX encoding: two bytes when it can (map 0f, W0, no REX.X/B), else three. */
static void emit_vex(struct gen *g, unsigned pp, unsigned map, unsigned w, unsigned l,
		     uint8_t opcode, unsigned reg)
{
	struct enc *e = &g->e;
	unsigned xb = rex_xb(&g->m);
	unsigned r = (reg >> 3) & 1;
	maybe_segment(e);
	if (map == 1 && w == 0 && xb == 0 && chance(70)) {
		put(e, 0xc5);
		put(e, (uint8_t)((!r) << 7 | 0xf << 3 | l << 2 | pp));
	} else {
		put(e, 0xc4);
		put(e, (uint8_t)((!r) << 7 | (!(xb & 2)) << 6 | (!(xb & 1)) << 5 | map));
		put(e, (uint8_t)(w << 7 | 0xf << 3 | l << 2 | pp));
	}
	put(e, opcode);
	put_modrm(e, reg, &g->m);
}

/* ---- the forms ------------------------------------------------------------ */

/* Integer forms with a ModRM memory operand. */
enum iclass { I_RM_REG, I_RM_IMM, I_RM, I_EXT, I_BT_REG, I_BT_IMM, I_MOFFS };
enum { IMM_NONE, IMM8, IMMZ, IMM8S };
#define SZ_ALL 0xf   /* bit 0: 8-bit, 1: 16, 2: 32, 3: 64 */
#define SZ_WIDE 0xe

struct iform {
	const char *name;
	uint8_t cls, esc, op8, opv, digit, imm, lockable, sizes, src_width;
	bool cmpxchg;
	bool no66;          /* a 0x66 prefix makes it another instruction */
};

static const struct iform iforms[] = {
	{ "mov [m],r", I_RM_REG, 0, 0x88, 0x89, 0, 0, 0, SZ_ALL },
	{ "mov r,[m]", I_RM_REG, 0, 0x8a, 0x8b, 0, 0, 0, SZ_ALL },
	{ "mov [m],imm", I_RM_IMM, 0, 0xc6, 0xc7, 0, IMMZ, 0, SZ_ALL },
	{ "mov moffs", I_MOFFS, 0, 0xa0, 0xa1, 0, 0, 0, SZ_ALL },
	{ "mov moffs store", I_MOFFS, 0, 0xa2, 0xa3, 0, 0, 0, SZ_ALL },
	{ "movnti", I_RM_REG, 1, 0, 0xc3, 0, 0, 0, 0xc, 0, false, true },
	{ "movzx8", I_EXT, 1, 0, 0xb6, 0, 0, 0, SZ_WIDE, 1 },
	{ "movzx16", I_EXT, 1, 0, 0xb7, 0, 0, 0, 0xc, 2 },
	{ "movsx8", I_EXT, 1, 0, 0xbe, 0, 0, 0, SZ_WIDE, 1 },
	{ "movsx16", I_EXT, 1, 0, 0xbf, 0, 0, 0, 0xc, 2 },
	{ "movsxd", I_EXT, 0, 0, 0x63, 0, 0, 0, 0x8, 4 },
#define ALU(n, name, lock) \
	{ name " [m],r", I_RM_REG, 0, n * 8, n * 8 + 1, 0, 0, lock, SZ_ALL }, \
	{ name " r,[m]", I_RM_REG, 0, n * 8 + 2, n * 8 + 3, 0, 0, 0, SZ_ALL }, \
	{ name " [m],imm", I_RM_IMM, 0, 0x80, 0x81, n, IMMZ, lock, SZ_ALL }, \
	{ name " [m],imm8", I_RM_IMM, 0, 0, 0x83, n, IMM8S, lock, SZ_WIDE }
	ALU(0, "add", 1), ALU(1, "or", 1), ALU(2, "adc", 1), ALU(3, "sbb", 1),
	ALU(4, "and", 1), ALU(5, "sub", 1), ALU(6, "xor", 1), ALU(7, "cmp", 0),
	{ "test [m],r", I_RM_REG, 0, 0x84, 0x85, 0, 0, 0, SZ_ALL },
	{ "test [m],imm", I_RM_IMM, 0, 0xf6, 0xf7, 0, IMMZ, 0, SZ_ALL },
	{ "inc", I_RM, 0, 0xfe, 0xff, 0, 0, 1, SZ_ALL },
	{ "dec", I_RM, 0, 0xfe, 0xff, 1, 0, 1, SZ_ALL },
	{ "not", I_RM, 0, 0xf6, 0xf7, 2, 0, 1, SZ_ALL },
	{ "neg", I_RM, 0, 0xf6, 0xf7, 3, 0, 1, SZ_ALL },
	{ "bt r", I_BT_REG, 1, 0, 0xa3, 0, 0, 0, SZ_WIDE },
	{ "bts r", I_BT_REG, 1, 0, 0xab, 0, 0, 1, SZ_WIDE },
	{ "btr r", I_BT_REG, 1, 0, 0xb3, 0, 0, 1, SZ_WIDE },
	{ "btc r", I_BT_REG, 1, 0, 0xbb, 0, 0, 1, SZ_WIDE },
	{ "bt imm", I_BT_IMM, 1, 0, 0xba, 4, IMM8, 0, SZ_WIDE },
	{ "bts imm", I_BT_IMM, 1, 0, 0xba, 5, IMM8, 1, SZ_WIDE },
	{ "btr imm", I_BT_IMM, 1, 0, 0xba, 6, IMM8, 1, SZ_WIDE },
	{ "btc imm", I_BT_IMM, 1, 0, 0xba, 7, IMM8, 1, SZ_WIDE },
	{ "xchg", I_RM_REG, 0, 0x86, 0x87, 0, 0, 1, SZ_ALL },
	{ "xadd", I_RM_REG, 1, 0xc0, 0xc1, 0, 0, 1, SZ_ALL },
	{ "cmpxchg", I_RM_REG, 1, 0xb0, 0xb1, 0, 0, 1, SZ_ALL, 0, true },
};
#define N_IFORMS (sizeof iforms / sizeof iforms[0])

/* Vector moves: legacy SSE (prefix, 0f [38] op) and VEX (pp, map, op). */
struct vform {
	const char *name;
	bool vex;
	uint8_t prefix;     /* SSE: 0/66/f2/f3; VEX: pp 0-3 */
	uint8_t map;        /* 1: 0f, 2: 0f 38 */
	uint8_t op;
	bool store;
	uint8_t width;      /* bytes at L=0 */
	bool wide_ok;       /* VEX.L=1 form of twice the width */
	bool aligned;
	uint8_t w;          /* SSE: REX.W; VEX: 0, 1, or 2 for "ignored" */
	bool lig;           /* VEX.L ignored: vmovss, vmovsd */
	bool avx2;          /* the L=1 form needs AVX2 */
};

#define SSE(n, p, m, o, s, wd, al, rw) { n, false, p, m, o, s, wd, false, al, rw, false, false }
#define VX(n, p, m, o, s, wd, wide, al, ww, lig, a2) { n, true, p, m, o, s, wd, wide, al, ww, lig, a2 }
static const struct vform vforms[] = {
	SSE("movdqu load", 0xf3, 1, 0x6f, 0, 16, 0, 0), SSE("movdqu store", 0xf3, 1, 0x7f, 1, 16, 0, 0),
	SSE("movdqa load", 0x66, 1, 0x6f, 0, 16, 1, 0), SSE("movdqa store", 0x66, 1, 0x7f, 1, 16, 1, 0),
	SSE("movups load", 0, 1, 0x10, 0, 16, 0, 0), SSE("movups store", 0, 1, 0x11, 1, 16, 0, 0),
	SSE("movaps load", 0, 1, 0x28, 0, 16, 1, 0), SSE("movaps store", 0, 1, 0x29, 1, 16, 1, 0),
	SSE("movupd load", 0x66, 1, 0x10, 0, 16, 0, 0), SSE("movupd store", 0x66, 1, 0x11, 1, 16, 0, 0),
	SSE("movapd load", 0x66, 1, 0x28, 0, 16, 1, 0), SSE("movapd store", 0x66, 1, 0x29, 1, 16, 1, 0),
	SSE("lddqu", 0xf2, 1, 0xf0, 0, 16, 0, 0),
	SSE("movntdq", 0x66, 1, 0xe7, 1, 16, 1, 0), SSE("movntps", 0, 1, 0x2b, 1, 16, 1, 0),
	SSE("movntpd", 0x66, 1, 0x2b, 1, 16, 1, 0), SSE("movntdqa", 0x66, 2, 0x2a, 0, 16, 1, 0),
	SSE("movq load f3", 0xf3, 1, 0x7e, 0, 8, 0, 0), SSE("movq store d6", 0x66, 1, 0xd6, 1, 8, 0, 0),
	SSE("movq load 6e", 0x66, 1, 0x6e, 0, 8, 0, 1), SSE("movq store 7e", 0x66, 1, 0x7e, 1, 8, 0, 1),
	SSE("movd load", 0x66, 1, 0x6e, 0, 4, 0, 0), SSE("movd store", 0x66, 1, 0x7e, 1, 4, 0, 0),
	SSE("movss load", 0xf3, 1, 0x10, 0, 4, 0, 0), SSE("movss store", 0xf3, 1, 0x11, 1, 4, 0, 0),
	SSE("movsd load", 0xf2, 1, 0x10, 0, 8, 0, 0), SSE("movsd store", 0xf2, 1, 0x11, 1, 8, 0, 0),
	VX("vmovdqu load", 2, 1, 0x6f, 0, 16, 1, 0, 2, 0, 0), VX("vmovdqu store", 2, 1, 0x7f, 1, 16, 1, 0, 2, 0, 0),
	VX("vmovdqa load", 1, 1, 0x6f, 0, 16, 1, 1, 2, 0, 0), VX("vmovdqa store", 1, 1, 0x7f, 1, 16, 1, 1, 2, 0, 0),
	VX("vmovups load", 0, 1, 0x10, 0, 16, 1, 0, 2, 0, 0), VX("vmovups store", 0, 1, 0x11, 1, 16, 1, 0, 2, 0, 0),
	VX("vmovaps load", 0, 1, 0x28, 0, 16, 1, 1, 2, 0, 0), VX("vmovaps store", 0, 1, 0x29, 1, 16, 1, 1, 2, 0, 0),
	VX("vmovupd load", 1, 1, 0x10, 0, 16, 1, 0, 2, 0, 0), VX("vmovupd store", 1, 1, 0x11, 1, 16, 1, 0, 2, 0, 0),
	VX("vmovapd load", 1, 1, 0x28, 0, 16, 1, 1, 2, 0, 0), VX("vmovapd store", 1, 1, 0x29, 1, 16, 1, 1, 2, 0, 0),
	VX("vlddqu", 3, 1, 0xf0, 0, 16, 1, 0, 2, 0, 0),
	VX("vmovntdq", 1, 1, 0xe7, 1, 16, 1, 1, 2, 0, 0), VX("vmovntps", 0, 1, 0x2b, 1, 16, 1, 1, 2, 0, 0),
	VX("vmovntpd", 1, 1, 0x2b, 1, 16, 1, 1, 2, 0, 0), VX("vmovntdqa", 1, 2, 0x2a, 0, 16, 1, 1, 0, 0, 1),
	VX("vmovq load f3", 2, 1, 0x7e, 0, 8, 0, 0, 2, 0, 0), VX("vmovq store d6", 1, 1, 0xd6, 1, 8, 0, 0, 2, 0, 0),
	VX("vmovq load 6e", 1, 1, 0x6e, 0, 8, 0, 0, 1, 0, 0), VX("vmovq store 7e", 1, 1, 0x7e, 1, 8, 0, 0, 1, 0, 0),
	VX("vmovd load", 1, 1, 0x6e, 0, 4, 0, 0, 0, 0, 0), VX("vmovd store", 1, 1, 0x7e, 1, 4, 0, 0, 0, 0, 0),
	VX("vmovss load", 2, 1, 0x10, 0, 4, 0, 0, 2, 1, 0), VX("vmovss store", 2, 1, 0x11, 1, 4, 0, 0, 2, 1, 0),
	VX("vmovsd load", 3, 1, 0x10, 0, 8, 0, 0, 2, 1, 0), VX("vmovsd store", 3, 1, 0x11, 1, 8, 0, 0, 2, 1, 0),
};
#define N_VFORMS (sizeof vforms / sizeof vforms[0])

/* ---- generating a case --------------------------------------------------- */

static const unsigned size_of_bit[4] = { 1, 2, 4, 8 };

static unsigned pick_size(uint8_t sizes)
{
	unsigned s;
	do
		s = (unsigned)below(4);
	while (!(sizes & (1u << s)));
	return size_of_bit[s];
}

/* A window address for an access of WIDTH bytes: anywhere, aligned, or at
 * either end of the window. */
static void random_bytes(uint8_t *p, size_t n);

static uint64_t pick_window_addr(unsigned width, bool aligned)
{
	uint64_t off;
	switch (below(8)) {
	case 0: off = 0; break;
	case 1: off = WIN_SIZE - width; break;
	case 2: off = PAGE - width + below(width); break;   /* across the page inside */
	default: off = below(WIN_SIZE - width + 1); break;
	}
	if (aligned)
		off &= ~(uint64_t)(width - 1);
	/* Fresh bytes at the access keep the memory from settling. */
	if (chance(50)) {
		uint64_t at = off + 32 <= WIN_SIZE ? off : WIN_SIZE - 32;
		random_bytes(region + WIN_OFF + at, 32);
	}
	return win_base + off;
}

static void random_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = chance(30) ? interesting() : rnd();
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

static void random_state(struct gen *g)
{
	memset(g, 0, sizeof *g);
	for (unsigned i = 0; i < 16; i++)
		g->in.gpr[i] = chance(40) ? interesting() : rnd();
	g->in.rflags = 0x2 | (rnd() & (EMU_ARITH_FLAGS | EMU_DF));
	random_bytes((uint8_t *)g->in.vec, sizeof g->in.vec);
	g->rip = code_base + below(PAGE - 64);
	if (e2e_mode)
		g->in.gpr[EMU_RSP] = e2e_stack_top;
}

static void gen_integer(struct gen *g, const struct iform *f)
{
	struct legacy l = { 0 };
	uint8_t opc[3];
	unsigned nopc = 0;
	unsigned size = pick_size(f->sizes);
	unsigned width = f->cls == I_EXT ? f->src_width : size;
	uint32_t avoid = 0;
	unsigned reg = (unsigned)below(16);
	while (e2e_mode && reg == EMU_RSP)
		reg = (unsigned)below(16);
	if (f->cls == I_BT_REG)
		avoid = 1u << reg;   /* the bit offset must not also be the address */
	bool legacy_bytes = size == 1 && f->cls == I_RM_REG && chance(40);
	if (legacy_bytes) {
		/* No REX needed: ah-bh stay reachable. */
		avoid = 0xff00;
		reg = 4 + (unsigned)below(4);
		/* A REX may still come: then 4-7 are spl-dil, and spl is rsp. */
		while (e2e_mode && reg == 4)
			reg = 4 + (unsigned)below(4);
	}
	if (e2e_mode) {
		/* A byte register 4-7 is ah-bh without a REX, which may or may
		 * not come: both readings stay out of the address. */
		bool named = f->cls == I_RM_REG || f->cls == I_EXT || f->cls == I_BT_REG;
		bool high = size == 1 && f->cls == I_RM_REG && reg >= 4 && reg < 8;
		if (named)
			avoid |= 1u << reg | (high ? 1u << (reg - 4) : 0);
		if (f->cmpxchg)
			avoid |= 1u << EMU_RAX;   /* it writes the accumulator */
	}
	pick_memop(g, avoid);
	if (legacy_bytes)
		g->m.rex_b_no_base = false;

	g->lock = f->lockable && chance(30);
	uint64_t ea = pick_window_addr(width, false);
	if (g->lock || f->opv == 0x87) {
		/* A locked access across a cache line is a split lock: the kernel
		 * (split_lock_detect) makes the native run sleep for it. The
		 * emulation does not care where the access is. */
		ea -= ea % 64 + width > 64 ? ea % 64 + width - 64 : 0;
	}
	if (f->cls == I_BT_REG) {
		/* The word the bit lands in is in the window; the operand
		 * address itself may be words away, on either side. */
		unsigned bits = 8 * size;
		int64_t k = (int64_t)below(9) - 4;
		uint64_t bit = below(bits);
		uint64_t off = (uint64_t)(k * (int64_t)bits) + bit;
		uint64_t high = rnd() & ~(size == 8 ? ~0ull : (1ull << bits) - 1);
		g->in.gpr[reg] = (off & (size == 8 ? ~0ull : (1ull << bits) - 1)) | high;
		ea -= (uint64_t)(k * (int64_t)size);
	}
	if (f->cls == I_MOFFS) {
		g->m.mode = M_MOFFS;
		g->m.disp = (int64_t)ea;
		l.no_modrm = true;
	} else {
		solve_memop(g, ea);
	}
	g->fault_addr = ea;
	g->has_fault = true;
	if (f->cls == I_BT_REG) {
		/* The fault is at the word holding the bit. */
		unsigned bits = 8 * size;
		uint64_t raw = g->in.gpr[reg];
		int64_t o = size == 2 ? (int16_t)raw : size == 4 ? (int32_t)raw : (int64_t)raw;
		g->fault_addr = ea + (uint64_t)((o >> (bits == 16 ? 4 : bits == 32 ? 5 : 6)) * (int64_t)size);
	}

	if (f->esc)
		opc[nopc++] = 0x0f;
	opc[nopc++] = size == 1 ? f->op8 : f->opv;
	l.opsize = size;
	l.opc = opc;
	l.nopc = nopc;
	l.reg = f->cls == I_RM_IMM || f->cls == I_RM || f->cls == I_BT_IMM ? f->digit : reg;
	l.byte_reg = size == 1 && (f->cls == I_RM_REG) && (reg & 7) >= 4 && reg < 8;
	l.lock = g->lock;
	l.no66 = f->no66;
	if (f->imm == IMM8 || f->imm == IMM8S || (f->imm == IMMZ && size == 1)) {
		l.immsz = 1;
		l.imm = f->cls == I_BT_IMM ? below(256) : interesting() & 0xff;
	} else if (f->imm == IMMZ) {
		l.immsz = size == 2 ? 2 : 4;
		l.imm = interesting() & (size == 2 ? 0xffff : 0xffffffff);
	}
	if (f->cmpxchg && !g->used[EMU_RAX] && chance(50)) {
		/* Let the comparison succeed half of the time. */
		uint64_t v = 0;
		memcpy(&v, region + (ea - code_base), size);
		uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
		g->in.gpr[EMU_RAX] = (g->in.gpr[EMU_RAX] & ~mask) | v;
	}
	emit_legacy(g, &l);
}

static void gen_vector(struct gen *g, const struct vform *f)
{
	unsigned l = 0, width = f->width;
	if (f->vex && f->wide_ok && (!f->avx2 || have_avx2) && chance(50)) {
		l = 1;
		width *= 2;
	}
	if (f->vex && f->lig)
		l = (unsigned)below(2);
	unsigned reg = (unsigned)below(16);
	pick_memop(g, 0);
	uint64_t ea = pick_window_addr(width, f->aligned || chance(20));
	solve_memop(g, ea);
	g->fault_addr = ea;
	g->has_fault = true;
	if (f->vex) {
		unsigned w = f->w == 2 ? (unsigned)below(2) : f->w;
		emit_vex(g, f->prefix, f->map, w, l, f->op, reg);
		return;
	}
	uint8_t opc[3] = { 0x0f, f->map == 2 ? 0x38 : f->op, f->op };
	struct legacy lg = {
		.opsize = 4, .mandatory = f->prefix, .rexw = f->w, .opc = opc,
		.nopc = f->map == 2 ? 3 : 2, .reg = reg,
	};
	emit_legacy(g, &lg);
}

/* movs or stos of SIZE-byte elements; at least one side in the window, the
 * other in the window too or on the ordinary page. */
static void gen_string(struct gen *g, bool stos)
{
	unsigned size = size_of_bit[below(4)];
	bool rep = g->rep = chance(75);
	uint64_t count = rep ? (chance(10) ? 0 : chance(80) ? 1 + below(16) : 1 + below(300)) : 1;
	bool down = g->in.rflags & EMU_DF;
	/* Where each side lives: 0 window, 1 ordinary. */
	unsigned dst_side = stos ? 0 : (unsigned)below(3) == 2;
	unsigned src_side = stos ? 1 : dst_side ? 0 : (unsigned)below(2);
	if (count * size > ORD_SIZE)
		count = ORD_SIZE / size;
	uint64_t span = count ? count * size : size;
	uint64_t start[2];
	for (unsigned s = 0; s < 2; s++) {
		unsigned side = s == 0 ? dst_side : src_side;
		uint64_t base = side ? ord_base : win_base, room = side ? ORD_SIZE : WIN_SIZE;
		uint64_t lo = base + below(room - span + 1);
		start[s] = down ? lo + span - size : lo;
	}
	if (!stos && dst_side == 0 && src_side == 0 && chance(30)) {
		/* Overlapping source and destination: the element order shows. */
		int64_t shift = (int64_t)(below(4 * size + 1)) - 2 * (int64_t)size;
		uint64_t d = start[1] + (uint64_t)shift;
		uint64_t lo = down ? d - (span - size) : d;
		if (lo >= win_base && lo + span <= win_base + WIN_SIZE)
			start[0] = d;
	}
	if (rep)
		g->in.gpr[EMU_RCX] = count;
	g->string = true;
	g->dst_in_window = dst_side == 0;
	g->src_in_window = !stos && src_side == 0;
	g->in.gpr[EMU_RDI] = start[0];
	g->in.gpr[EMU_RSI] = stos ? g->in.gpr[EMU_RSI] : start[1];
	g->has_fault = count > 0;
	g->fault_addr = !stos && src_side == 0 ? start[1] : start[0];
	g->m.mode = M_NMODES;

	uint8_t opc = stos ? (size == 1 ? 0xaa : 0xab) : (size == 1 ? 0xa4 : 0xa5);
	struct legacy l = { .opsize = size, .rep = rep, .opc = &opc, .nopc = 1, .no_modrm = true };
	emit_legacy(g, &l);
}

static void generate_one(struct gen *g);

/* The next case; its name and the encoded bytes go to G. Optional prefixes
 * can push an encoding past 15 bytes, the longest the CPU takes: such a case
 * is drawn again. */
static void generate(struct gen *g)
{
	do
		generate_one(g);
	while (g->e.n > 15);
	finish_rip(g);
	/* The jump back: jmp *0(%rip) followed by the absolute address. */
	static const uint8_t jmp[] = { 0xff, 0x25, 0, 0, 0, 0 };
	uint64_t back = (uint64_t)(uintptr_t)harness_back;
	memcpy(region + (g->rip - code_base), g->e.b, g->e.n);
	memcpy(region + (g->rip - code_base) + g->e.n, jmp, sizeof jmp);
	memcpy(region + (g->rip - code_base) + g->e.n + sizeof jmp, &back, 8);
}

static void generate_one(struct gen *g)
{
	random_state(g);
	unsigned total = N_IFORMS + N_VFORMS + 4;
	unsigned pick;
	for (;;) {
		pick = (unsigned)below(total);
		if (pick >= N_IFORMS && pick < N_IFORMS + N_VFORMS && vforms[pick - N_IFORMS].vex && !have_avx)
			continue;
		break;
	}
	/* moffs carries its address in the instruction: it cannot be moved. */
	if (e2e_mode && pick < N_IFORMS && iforms[pick].cls == I_MOFFS) {
		generate_one(g);
		return;
	}
	/* Fresh bytes around the access keep memory from converging. */
	if (pick < N_IFORMS) {
		g->form = iforms[pick].name;
		gen_integer(g, &iforms[pick]);
	} else if (pick < N_IFORMS + N_VFORMS) {
		g->form = vforms[pick - N_IFORMS].name;
		gen_vector(g, &vforms[pick - N_IFORMS]);
	} else {
		bool stos = pick >= N_IFORMS + N_VFORMS + 2;
		g->form = stos ? "stos" : "movs";
		gen_string(g, stos);
	}
}

/* ---- the emulator's side ------------------------------------------------- */

static int shadow_read(void *ctx, uint64_t addr, unsigned width, void *out)
{
	(void)ctx;
	memcpy(out, shadow + (addr - win_base), width);
	return 0;
}

static int shadow_write(void *ctx, uint64_t addr, unsigned width, const void *in)
{
	(void)ctx;
	memcpy(shadow + (addr - win_base), in, width);
	return 0;
}

static int shadow_rmw(void *ctx, uint64_t addr, unsigned width, emu_rmw_fn *fn, void *fnctx)
{
	_Alignas(32) uint8_t v[32];
	(void)ctx;
	memcpy(v, shadow + (addr - win_base), width);
	if (fn(fnctx, v))
		memcpy(shadow + (addr - win_base), v, width);
	return 0;
}

static const struct emu_bus shadow_bus = { shadow_read, shadow_write, shadow_rmw, NULL };
static struct emu_window the_window;

static csh cs;
static cs_insn *insn;

static void cpu_from_state(const struct h_state *s, uint64_t rip, struct emu_cpu *cpu)
{
	memset(cpu, 0, sizeof *cpu);
	memcpy(cpu->gpr, s->gpr, sizeof cpu->gpr);
	cpu->rflags = s->rflags;
	cpu->rip = rip;
	for (unsigned i = 0; i < 16; i++)
		memcpy(cpu->vec[i].q, s->vec[i], 32);
}

/* ---- the fault path ------------------------------------------------------ */

static struct {
	bool armed;            /* the next fault is the instruction's own */
	uint64_t rip;
	int err;
	const char *refusal;
	unsigned faults;
	uint64_t stray_rip, stray_addr;
} sig;

static void on_segv(int signo, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct emu_cpu cpu;
	struct emu_plan plan;
	(void)signo;
	sig.faults++;
	emu_cpu_from_ucontext(uc, &cpu);
	if (!sig.armed || cpu.rip != sig.rip || sig.faults > 1) {
		/* Not the fault this case expects: leave through the harness,
		 * which stores the state; the case then fails. */
		sig.stray_rip = cpu.rip;
		sig.stray_addr = (uint64_t)(uintptr_t)si->si_addr;
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)harness_back;
		return;
	}
	const uint8_t *code = (const uint8_t *)(uintptr_t)cpu.rip;
	size_t size = 15;
	uint64_t addr = cpu.rip;
	if (!cs_disasm_iter(cs, &code, &size, &addr, insn)) {
		sig.refusal = "Capstone cannot decode it";
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)harness_back;
		return;
	}
	struct emu_fault f = {
		(uint64_t)(uintptr_t)si->si_addr,
		(uc->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0,
	};
	sig.err = emu_decode(insn, &cpu, &the_window, &f, &plan);
	if (sig.err) {
		sig.refusal = plan.refusal;
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)harness_back;
		return;
	}
	sig.err = emu_execute(&plan, &cpu, &shadow_bus);
	int err = emu_cpu_to_ucontext(&cpu, uc);
	if (err && !sig.err)
		sig.err = err;
}

/* In each test: cmocka puts its own SIGSEGV handler in place while a test
 * runs. */
static void install_handler(void)
{
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaltstack(&ss, NULL), 0);
	assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
	assert_int_equal(sigaction(SIGBUS, &sa, NULL), 0);
}

/* ---- comparing ------------------------------------------------------------ */

static unsigned long seen[X86_INS_ENDING][3];   /* plain, lock, rep */
static unsigned long seen_string_movsd[2];
static unsigned long seen_mode[M_NMODES + 1];
static unsigned long seen_width[33];
static unsigned long seen_high_byte, seen_rex_byte, seen_r8_r15;

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void print_case(const struct gen *g, unsigned long n, const char *what, ...)
{
	va_list ap;
	char text[200] = "";
	if (insn->size)
		snprintf(text, sizeof text, "%s %s", insn->mnemonic, insn->op_str);
	printf("MISMATCH seed %" PRIu64 " case %lu (%s): ", opt_seed, n, g->form);
	va_start(ap, what);
	vprintf(what, ap);
	va_end(ap);
	printf("\n  bytes:");
	for (unsigned i = 0; i < g->e.n; i++)
		printf(" %02x", g->e.b[i]);
	printf("   %s   rip %#" PRIx64 "\n  in:", text, g->rip);
	for (unsigned i = 0; i < 16; i++)
		printf(" %s=%#" PRIx64, gpr_names[i], g->in.gpr[i]);
	printf(" rflags=%#" PRIx64 "\n", g->in.rflags);
}

/* Compare the emulated CPU and window with the native run's. */
static bool same(const struct gen *g, unsigned long n, const struct emu_cpu *cpu,
		 const struct h_state *native)
{
	bool ok = true;
	for (unsigned i = 0; i < 16; i++)
		if (cpu->gpr[i] != native->gpr[i]) {
			print_case(g, n, "%s: emulated %#" PRIx64 ", CPU %#" PRIx64,
				   gpr_names[i], cpu->gpr[i], native->gpr[i]);
			ok = false;
		}
	uint64_t mask = EMU_ARITH_FLAGS | EMU_DF;
	if ((cpu->rflags ^ native->rflags) & mask) {
		print_case(g, n, "rflags: emulated %#" PRIx64 ", CPU %#" PRIx64 " (differ in %#" PRIx64 ")",
			   cpu->rflags & mask, native->rflags & mask,
			   (cpu->rflags ^ native->rflags) & mask);
		ok = false;
	}
	if (cpu->rip != g->rip + g->e.n) {
		print_case(g, n, "rip: emulated +%" PRIu64 ", encoded length %u",
			   cpu->rip - g->rip, g->e.n);
		ok = false;
	}
	unsigned vbytes = have_avx ? 32 : 16;
	for (unsigned i = 0; i < 16; i++)
		if (memcmp(cpu->vec[i].q, native->vec[i], vbytes)) {
			print_case(g, n, "ymm%u: emulated %016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64
				   ", CPU %016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, i,
				   cpu->vec[i].q[3], cpu->vec[i].q[2], cpu->vec[i].q[1], cpu->vec[i].q[0],
				   native->vec[i][3], native->vec[i][2], native->vec[i][1], native->vec[i][0]);
			ok = false;
		}
	for (unsigned i = 0; memcmp(shadow, native_win, WIN_SIZE) && i < WIN_SIZE; i++)
		if (shadow[i] != native_win[i]) {
			print_case(g, n, "window byte %#x: emulated %02x, CPU %02x", i, shadow[i], native_win[i]);
			ok = false;
			break;
		}
	for (unsigned i = 0; memcmp(region + ORD_OFF, native_ord, ORD_SIZE) && i < ORD_SIZE; i++)
		if (region[ORD_OFF + i] != native_ord[i]) {
			print_case(g, n, "ordinary byte %#x: emulated %02x, CPU %02x", i,
				   region[ORD_OFF + i], native_ord[i]);
			ok = false;
			break;
		}
	return ok;
}

static void count_form(const struct gen *g)
{
	if (insn->id == X86_INS_MOVSD && insn->detail->x86.opcode[0] == 0xa5)
		seen_string_movsd[g->rep]++;
	else if (insn->id < X86_INS_ENDING)
		seen[insn->id][g->lock ? 1 : g->rep ? 2 : 0]++;
	seen_mode[g->m.mode]++;
	/* Which register families occurred, in any operand or address. */
	bool high = false, rex_byte = false, upper = false;
	const cs_x86 *x = &insn->detail->x86;
	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		unsigned regs[2] = { X86_REG_INVALID, X86_REG_INVALID };
		if (op->type == X86_OP_REG)
			regs[0] = op->reg;
		else if (op->type == X86_OP_MEM) {
			regs[0] = op->mem.base;
			regs[1] = op->mem.index;
		}
		for (unsigned r = 0; r < 2; r++) {
			unsigned reg = regs[r];
			high |= reg == X86_REG_AH || reg == X86_REG_BH || reg == X86_REG_CH || reg == X86_REG_DH;
			rex_byte |= reg == X86_REG_SPL || reg == X86_REG_BPL || reg == X86_REG_SIL || reg == X86_REG_DIL;
			upper |= (reg >= X86_REG_R8 && reg <= X86_REG_R15) ||
				 (reg >= X86_REG_R8B && reg <= X86_REG_R15W);
		}
	}
	seen_high_byte += high;
	seen_rex_byte += rex_byte;
	seen_r8_r15 += upper;
}

/* Run the native side: memory as it is now, state from g. */
static bool run_native(const struct gen *g, unsigned long n)
{
	h_in = g->in;
	h_code = (void *)(uintptr_t)g->rip;
	sig.armed = false;
	sig.faults = 0;
	harness_run();
	if (sig.faults) {
		print_case(g, n, "the native run faulted at rip %#" PRIx64 " address %#" PRIx64
			   " (a generator bug)", sig.stray_rip, sig.stray_addr);
		return false;
	}
	return true;
}

/* One case, both ways. VIA_FAULT: the emulated side runs through a real
 * fault on the PROT_NONE window instead of calling the emulator directly. */
static bool run_case(unsigned long n, bool via_fault)
{
	struct gen g;
	struct emu_cpu cpu;
	struct emu_plan plan;

	generate(&g);
	const uint8_t *code = g.e.b;
	size_t size = g.e.n;
	uint64_t addr = g.rip;
	insn->size = 0;
	if (!cs_disasm_iter(cs, &code, &size, &addr, insn)) {
		print_case(&g, n, "Capstone cannot decode the generated bytes");
		return false;
	}
	count_form(&g);
	memcpy(snap_win, region + WIN_OFF, WIN_SIZE);
	memcpy(snap_ord, region + ORD_OFF, ORD_SIZE);

	if (!run_native(&g, n))
		return false;
	struct h_state native = h_out;
	memcpy(native_win, region + WIN_OFF, WIN_SIZE);
	memcpy(native_ord, region + ORD_OFF, ORD_SIZE);
	memcpy(region + WIN_OFF, snap_win, WIN_SIZE);
	memcpy(region + ORD_OFF, snap_ord, ORD_SIZE);
	memcpy(shadow, snap_win, WIN_SIZE);

	if (via_fault) {
		sig = (typeof(sig)){ .armed = true, .rip = g.rip };
		h_in = g.in;
		h_code = (void *)(uintptr_t)g.rip;
		mprotect(region + WIN_OFF, WIN_SIZE, PROT_NONE);
		harness_run();
		mprotect(region + WIN_OFF, WIN_SIZE, PROT_READ | PROT_WRITE);
		sig.armed = false;
		if (sig.stray_rip) {
			print_case(&g, n, "unexpected fault at rip %#" PRIx64 " address %#" PRIx64,
				   sig.stray_rip, sig.stray_addr);
			return false;
		}
		if (sig.refusal || sig.err) {
			print_case(&g, n, "refused through the fault (%d): %s", sig.err,
				   sig.refusal ? sig.refusal : "");
			return false;
		}
		if (g.has_fault && sig.faults != 1) {
			print_case(&g, n, "the window access did not fault");
			return false;
		}
		cpu_from_state(&h_out, g.rip + g.e.n, &cpu);
		cpu.rflags = h_out.rflags;
	} else {
		struct emu_fault f = { g.fault_addr, -1 };
		cpu_from_state(&g.in, g.rip, &cpu);
		int err = emu_decode(insn, &cpu, &the_window, g.has_fault ? &f : NULL, &plan);
		if (err) {
			print_case(&g, n, "refused (%d): %s", err, plan.refusal);
			return false;
		}
		seen_width[plan.width]++;
		if ((err = emu_execute(&plan, &cpu, &shadow_bus))) {
			print_case(&g, n, "emu_execute failed: %d", err);
			return false;
		}
	}
	bool ok = same(&g, n, &cpu, &native);
	/* Carry the CPU's memory into the next case. */
	memcpy(region + WIN_OFF, native_win, WIN_SIZE);
	memcpy(region + ORD_OFF, native_ord, ORD_SIZE);
	return ok;
}

/* ---- through a real window ------------------------------------------------ */

/* The owner's side: each window is plain memory, a copy of the window's
 * bytes, served by reads and writes (atomic forms: pfipc's own read, step,
 * write, on a window that takes turns). */
static uint8_t e2e_mem[2][WIN_SIZE];
static uint64_t e2e_base[2];            /* the mappings */
static unsigned long e2e_accesses;

static int e2e_read(void *ctx, uint64_t off, unsigned width, void *value)
{
	memcpy(value, (uint8_t *)ctx + off, width);
	e2e_accesses++;
	return 0;
}

static int e2e_write(void *ctx, uint64_t off, unsigned width, const void *value)
{
	memcpy((uint8_t *)ctx + off, value, width);
	e2e_accesses++;
	return 0;
}

static const pf_window_ops e2e_ops = { e2e_read, e2e_write, NULL };

static int e2e_owner_init(void *arg)
{
	(void)arg;
	int rc = pf_window_create("diff.msg", WIN_SIZE / PAGE, &e2e_ops, e2e_mem[0], 0);
	return rc ? rc : pf_window_create("diff.mig", WIN_SIZE / PAGE, &e2e_ops, e2e_mem[1],
					  PF_EXPORT_MIGRATE);
}

static int e2e_setup(void)
{
	static bool done;
	if (done)
		return 0;
	pf_process *owner, *self;
	void *a, *b;
	int rc = pf_process_create(&owner, "diff_owner", NULL, e2e_owner_init, NULL);
	if (!rc)
		rc = pf_process_join_self(&self, "diff_cpu");
	if (!rc)
		rc = pf_window_map("diff.msg", 0, &a);
	if (!rc)
		rc = pf_window_map("diff.mig", 0, &b);
	if (rc)
		return rc;
	e2e_base[0] = (uint64_t)(uintptr_t)a;
	e2e_base[1] = (uint64_t)(uintptr_t)b;
	/* The stack the instruction runs on: pfipc's frame and the wait for
	 * the owner go below its rsp. */
	size_t size = 1 << 20;
	void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		return -ENOMEM;
	e2e_stack_top = (uint64_t)(uintptr_t)stack + size - 4096;
	done = true;
	return 0;
}

/* G's state with its window addresses moved by DELTA. */
static struct h_state moved(const struct gen *g, uint64_t delta, bool moved_reg[16])
{
	struct h_state in = g->in;
	memset(moved_reg, 0, 16 * sizeof *moved_reg);
	if (g->string) {
		moved_reg[EMU_RDI] = g->dst_in_window;
		moved_reg[EMU_RSI] = g->src_in_window;
	} else if (g->m.mode == M_BASE || g->m.mode == M_BASE_INDEX) {
		moved_reg[g->m.base] = true;
	}
	for (unsigned i = 0; i < 16; i++)
		if (moved_reg[i])
			in.gpr[i] += delta;
	return in;
}

/* One case: natively on the test's window page, then through window
 * WHICH (0: message passing, 1: migrating); the same comparison as the
 * other runs, with the moved registers moved back. */
static bool run_case_window(unsigned long n, unsigned which)
{
	struct gen g;
	generate(&g);
	const uint8_t *code = g.e.b;
	size_t size = g.e.n;
	uint64_t addr = g.rip;
	insn->size = 0;
	if (!cs_disasm_iter(cs, &code, &size, &addr, insn)) {
		print_case(&g, n, "Capstone cannot decode the generated bytes");
		return false;
	}
	count_form(&g);
	memcpy(snap_win, region + WIN_OFF, WIN_SIZE);
	memcpy(snap_ord, region + ORD_OFF, ORD_SIZE);
	if (!run_native(&g, n))
		return false;
	struct h_state native = h_out;
	memcpy(native_win, region + WIN_OFF, WIN_SIZE);
	memcpy(native_ord, region + ORD_OFF, ORD_SIZE);
	memcpy(region + ORD_OFF, snap_ord, ORD_SIZE);
	memcpy(e2e_mem[which], snap_win, WIN_SIZE);

	uint64_t delta = e2e_base[which] - win_base;
	bool moved_reg[16];
	unsigned long before = e2e_accesses;
	h_in = moved(&g, delta, moved_reg);
	h_code = (void *)(uintptr_t)g.rip;
	sig.armed = false;
	sig.faults = 0;
	harness_run();
	bool ok = true;
	if (sig.faults) {
		print_case(&g, n, "a fault pfipc did not take: rip %#" PRIx64 " address %#" PRIx64,
			   sig.stray_rip, sig.stray_addr);
		ok = false;
	}
	if (pf_errno() != 0 && e2e_accesses != before) {
		print_case(&g, n, "pf_errno %d: %s", pf_errno(), pf_error_message());
		ok = false;
	}
	if (g.has_fault && e2e_accesses == before) {
		print_case(&g, n, "the window's owner saw no access");
		ok = false;
	}
	struct emu_cpu cpu;
	cpu_from_state(&h_out, g.rip + g.e.n, &cpu);
	for (unsigned i = 0; i < 16; i++)
		if (moved_reg[i])
			cpu.gpr[i] -= delta;
	memcpy(shadow, e2e_mem[which], WIN_SIZE);
	ok = same(&g, n, &cpu, &native) && ok;
	/* The next case starts from the CPU's memory. */
	memcpy(region + WIN_OFF, native_win, WIN_SIZE);
	memcpy(region + ORD_OFF, native_ord, ORD_SIZE);
	return ok;
}

/* ---- tests ---------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	unsigned a, b, c, d;
	if (__get_cpuid(1, &a, &b, &c, &d))
		have_avx = (c & bit_AVX) && (c & bit_OSXSAVE);
	if (have_avx && __get_cpuid_count(7, 0, &a, &b, &c, &d))
		have_avx2 = b & bit_AVX2;
	if (have_avx) {
		/* AVX needs the OS to save ymm state too (XCR0 bits 1 and 2). */
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		have_avx = (lo & 6) == 6;
		have_avx2 = have_avx2 && have_avx;
	}
	h_avx = have_avx;
	if (map_region())
		return -1;
	the_window.start = win_base;
	the_window.end = win_base + WIN_SIZE;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	emu_init();
	random_bytes(region + WIN_OFF, WIN_SIZE);
	random_bytes(region + ORD_OFF, ORD_SIZE);
	struct alu_undefined_model um = alu_undefined_model();
	printf("seed %" PRIu64 ", %lu cases, %lu through a real fault; AVX %s, AVX2 %s\n",
	       opt_seed, opt_count, opt_signal_count, have_avx ? "yes" : "no", have_avx2 ? "yes" : "no");
	printf("undefined flags on this CPU (%s): logic ops clear %#x set %#x; bit tests clear %#x set %#x, keep the rest\n",
	       um.probed == 1 ? "probed" : "not probed", um.logic_clear, um.logic_set, um.bit_clear, um.bit_set);
	return 0;
}

static void random_instructions_match_the_cpu(void **state)
{
	(void)state;
	struct timespec t0, t1;
	rng = opt_seed;
	install_handler();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long bad = 0;
	for (unsigned long n = 0; n < opt_count && bad < 10; n++)
		bad += !run_case(n, false);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%lu instructions against the CPU in %.2f s (%.2f us each, both runs)\n",
	       opt_count, s, s * 1e6 / (double)opt_count);
	if (bad)
		printf("seed %" PRIu64 ": %lu mismatching cases (stopped after 10)\n", opt_seed, bad);
	assert_int_equal(bad, 0);
}

static void random_instructions_through_a_real_fault_match_the_cpu(void **state)
{
	(void)state;
	struct timespec t0, t1;
	rng = opt_seed ^ 0x5151515151515151ull;
	install_handler();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long bad = 0;
	for (unsigned long n = 0; n < opt_signal_count && bad < 10; n++)
		bad += !run_case(n, true);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%lu instructions through SIGSEGV in %.2f s\n", opt_signal_count, s);
	if (bad)
		printf("seed %" PRIu64 " (fault run): %lu mismatching cases\n", opt_seed, bad);
	assert_int_equal(bad, 0);
}

static void random_instructions_through_a_window_match_the_cpu(void **state)
{
	(void)state;
	if (e2e_setup() != 0) {
		print_message("pfipc's window could not be set up: %s\n", pf_error_message());
		fail();
	}
	struct timespec t0, t1;
	rng = opt_seed ^ 0x7777777777777777ull;
	install_handler();
	e2e_mode = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long bad = 0;
	for (unsigned long n = 0; n < opt_window_count && bad < 10; n++)
		bad += !run_case_window(n, n & 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	e2e_mode = false;
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%lu instructions through pfipc windows (half migrating) in %.2f s, %lu accesses served\n",
	       opt_window_count, s, e2e_accesses);
	if (bad)
		printf("seed %" PRIu64 " (window run): %lu mismatching cases\n", opt_seed, bad);
	assert_int_equal(bad, 0);
}

static bool lockable(unsigned id)
{
	switch (id) {
	case X86_INS_ADD: case X86_INS_OR: case X86_INS_ADC: case X86_INS_SBB:
	case X86_INS_AND: case X86_INS_SUB: case X86_INS_XOR: case X86_INS_INC:
	case X86_INS_DEC: case X86_INS_NEG: case X86_INS_NOT: case X86_INS_BTS:
	case X86_INS_BTR: case X86_INS_BTC: case X86_INS_XCHG: case X86_INS_XADD:
	case X86_INS_CMPXCHG:
		return true;
	}
	return false;
}

static bool string_id(unsigned id)
{
	return id == X86_INS_MOVSB || id == X86_INS_MOVSW || id == X86_INS_MOVSQ ||
	       (id >= X86_INS_STOSB && id <= X86_INS_STOSW);
}

static bool vex_id(csh h, unsigned id)
{
	const char *name = cs_insn_name(h, id);
	return name && name[0] == 'v';
}

/* Run after the random tests: every emulated form occurred, with its lock
 * and rep variants. */
static void every_emulated_form_was_exercised(void **state)
{
	(void)state;
	unsigned missing = 0;
	printf("instructions exercised (plain / lock / rep):\n");
	for (unsigned id = 1; id < X86_INS_ENDING; id++) {
		if (!emu_insn_emulated(id))
			continue;
		const char *name = cs_insn_name(cs, id);
		if (id == X86_INS_MOVSD)
			printf("  %-10s %8lu  (string: %lu / rep %lu)\n", name, seen[id][0],
			       seen_string_movsd[0], seen_string_movsd[1]);
		else
			printf("  %-10s %8lu %8lu %8lu\n", name, seen[id][0], seen[id][1], seen[id][2]);
		if (vex_id(cs, id) && !have_avx)
			continue;   /* reported above as 0; the machine lacks AVX */
		bool none = seen[id][0] + seen[id][1] + seen[id][2] == 0;
		if (none || (lockable(id) && !seen[id][1]) || (string_id(id) && !seen[id][2]) ||
		    (id == X86_INS_MOVSD && !(seen_string_movsd[0] && seen_string_movsd[1]))) {
			printf("  NOT EXERCISED: %s\n", name);
			missing++;
		}
	}
	printf("addressing modes:");
	for (unsigned m = 0; m < M_NMODES; m++)
		printf(" %s %lu,", mode_names[m], seen_mode[m]);
	printf(" none (strings) %lu\nregisters: ah-bh %lu, spl-dil %lu, r8-r15 %lu\nwidths:",
	       seen_mode[M_NMODES], seen_high_byte, seen_rex_byte, seen_r8_r15);
	for (unsigned w = 1; w <= 32; w *= 2)
		printf(" %u: %lu", w, seen_width[w]);
	printf("\n");
	if (!have_avx)
		printf("AVX forms not exercised: this CPU has no AVX\n");
	if (opt_count >= 100000) {
		assert_int_equal(missing, 0);
		assert_true(seen_high_byte && seen_rex_byte && seen_r8_r15);
	}
}

/* ---- --bench: what a window access costs through a real fault ---------- */

static volatile bool bench_emulate;     /* false: the handler only skips the mov */
static volatile double bench_handler_ns, bench_capstone_ns;

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void on_bench_fault(int signo, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)signo;
	if (!bench_emulate) {
		uc->uc_mcontext.gregs[REG_RIP] += 2;   /* mov eax,[rbx] / mov [rbx],eax */
		return;
	}
	double t0 = now_ns();
	struct emu_cpu cpu;
	struct emu_plan plan;
	struct emu_fault f = { (uint64_t)(uintptr_t)si->si_addr, (uc->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0 };
	emu_cpu_from_ucontext(uc, &cpu);
	const uint8_t *code = (const uint8_t *)(uintptr_t)cpu.rip;
	size_t size = 15;
	uint64_t addr = cpu.rip;
	double t1 = now_ns();
	bool decoded = cs_disasm_iter(cs, &code, &size, &addr, insn);
	bench_capstone_ns += now_ns() - t1;
	if (decoded && !emu_decode(insn, &cpu, &the_window, &f, &plan) &&
	    !emu_execute(&plan, &cpu, &shadow_bus))
		emu_cpu_to_ucontext(&cpu, uc);
	else
		uc->uc_mcontext.gregs[REG_RIP] += 2;
	bench_handler_ns += now_ns() - t0;
}

/* Median ns per access over 11 batches of 2,000 faults. */
static double bench_faults(bool store)
{
	double batch[11];
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)(win_base + 0x40);
	for (unsigned b = 0; b < 11; b++) {
		double t0 = now_ns();
		for (unsigned i = 0; i < 2000; i++) {
			uint32_t v = i;
			if (store)
				__asm__ volatile("mov %%eax, (%%rbx)" :: "a"(v), "b"(p) : "memory");
			else
				__asm__ volatile("mov (%%rbx), %%eax" : "+a"(v) : "b"(p) : "memory");
		}
		batch[b] = (now_ns() - t0) / 2000;
	}
	for (unsigned i = 0; i < 11; i++)
		for (unsigned j = i + 1; j < 11; j++)
			if (batch[j] < batch[i]) {
				double t = batch[i]; batch[i] = batch[j]; batch[j] = t;
			}
	return batch[5];
}

static int bench(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_bench_fault;
	sa.sa_flags = SA_SIGINFO;
	if (group_setup(NULL) || sigaction(SIGSEGV, &sa, NULL))
		return 1;
	memcpy(shadow, region + WIN_OFF, WIN_SIZE);
	mprotect(region + WIN_OFF, WIN_SIZE, PROT_NONE);
	bench_emulate = false;
	double floor_ns = bench_faults(false);
	bench_emulate = true;
	bench_handler_ns = bench_capstone_ns = 0;
	double load = bench_faults(false);
	double load_handler = bench_handler_ns / 22000, load_cs = bench_capstone_ns / 22000;
	bench_handler_ns = bench_capstone_ns = 0;
	double store = bench_faults(true);
	double store_handler = bench_handler_ns / 22000, store_cs = bench_capstone_ns / 22000;
	printf("fault, handler skips the mov:  %6.0f ns per access\n", floor_ns);
	printf("mov eax,[window] emulated:     %6.0f ns (in the handler %4.0f ns, of which Capstone %4.0f)\n",
	       load, load_handler, load_cs);
	printf("mov [window],eax emulated:     %6.0f ns (in the handler %4.0f ns, of which Capstone %4.0f)\n",
	       store, store_handler, store_cs);
	return 0;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--seed N] [--count N] [--signal-count N] [--window-count N] [--bench]\n",
		argv0);
	return 2;
}

int main(int argc, char **argv)
{
	opt_seed = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			opt_count = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--signal-count") && i + 1 < argc)
			opt_signal_count = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--window-count") && i + 1 < argc)
			opt_window_count = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--bench"))
			opt_bench = true;
		else
			return usage(argv[0]);
	}
	if (opt_bench)
		return bench();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_instructions_match_the_cpu),
		cmocka_unit_test(random_instructions_through_a_real_fault_match_the_cpu),
		cmocka_unit_test(every_emulated_form_was_exercised),
		cmocka_unit_test(random_instructions_through_a_window_match_the_cpu),
	};
	return cmocka_run_group_tests_name("window emulation against the CPU", tests,
					   group_setup, NULL);
}
