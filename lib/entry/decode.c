/* Capstone decoding and the decode cache.
 *
 * The cache is a fixed open-addressed table written and read from signal
 * handlers on any thread, so it takes no locks: an entry is claimed with a
 * CAS on its key, filled, then published with a release store of the RIP.
 * Entries are never rewritten. A hit is also checked against the bytes at
 * RIP, so code unloaded and replaced at the same address is decoded again. */
#include <capstone/capstone.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "arch.h"
#include "entry/decode.h"

struct decoder {
	csh cs;
	cs_insn *insn;
};

#define CACHE_SIZE  4096u   /* entries; a power of two */
#define CACHE_PROBE 8u
#define KEY_CLAIMED 1u      /* never a RIP: instructions are not at 1 */

struct cache_entry {
	_Atomic uintptr_t rip;
	struct insn insn;
	uint8_t bytes[16];
};

static struct cache_entry cache[CACHE_SIZE];
static atomic_bool cache_on = true;

void decode_cache_enable(bool on)
{
	atomic_store(&cache_on, on);
}

/* Capstone builds some lookup tables the first time it decodes: per handle
 * (calloc), and once for the whole library (its x86 register table is
 * copied and qsorted in place, behind a plain flag). Both must happen here,
 * in normal context, not in the handler; and the library-wide one must
 * happen once, before a second thread can decode, or two first decodes
 * sort the same table at once. One of each instruction the handler meets
 * does it. */
static void warm_up(struct decoder *dec)
{
	static const uint8_t samples[][9] = {
		{ 0xff, 0x15, 0, 0, 0, 0 },   /* call qword ptr [rip] */
		{ 0xff, 0x10 },               /* call qword ptr [rax] */
		{ 0xff, 0x20 },               /* jmp qword ptr [rax] */
		{ 0x48, 0x8b, 0x10 },         /* mov rdx, qword ptr [rax] */
		{ 0x8b, 0x10 },               /* mov edx, dword ptr [eax] (i386) */
		{ 0x48, 0x83, 0x00, 0x01 },   /* add qword ptr [rax], 1 */
		/* The window entries' kinds of instruction (window.c, port.c): */
		{ 0xa0, 0, 0, 0, 0, 0, 0, 0, 0 }, /* movabs al, byte ptr [moffs] */
		{ 0xf3, 0xa4 },               /* rep movsb */
		{ 0xf3, 0x0f, 0x6f, 0x00 },   /* movdqu xmm0, [rax] */
		{ 0xc5, 0xfe, 0x6f, 0x00 },   /* vmovdqu ymm0, [rax] */
		{ 0xf0, 0x0f, 0xc1, 0x00 },   /* lock xadd [rax], eax */
		{ 0xec },                     /* in al, dx */
		{ 0xf3, 0x6e },               /* rep outsb */
	};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		const uint8_t *code = samples[i];
		size_t size = sizeof samples[i];
		uint64_t addr = 0x1000;
		cs_disasm_iter(dec->cs, &code, &size, &addr, dec->insn);
	}
}

/* Capstone's library-wide first use, on a handle of its own, under
 * pthread_once: every decoder_open waits here until it is done, and sees
 * the sorted table (pthread_once orders the first call before the rest). */
static pthread_once_t capstone_warm = PTHREAD_ONCE_INIT;

static void warm_up_capstone(void)
{
	struct decoder first;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &first.cs) != CS_ERR_OK)
		return;   /* decoder_open will fail the same way */
	cs_option(first.cs, CS_OPT_DETAIL, CS_OPT_ON);
	if ((first.insn = cs_malloc(first.cs)) != NULL) {
		warm_up(&first);
		cs_free(first.insn, 1);
	}
	cs_close(&first.cs);
}

struct decoder *decoder_open(void)
{
	pthread_once(&capstone_warm, warm_up_capstone);
	struct decoder *dec = calloc(1, sizeof *dec);
	if (!dec)
		return NULL;
	if (cs_open(CS_ARCH_X86, ARCH_CS_MODE, &dec->cs) != CS_ERR_OK) {
		free(dec);
		return NULL;
	}
	cs_option(dec->cs, CS_OPT_DETAIL, CS_OPT_ON);
	dec->insn = cs_malloc(dec->cs);
	if (!dec->insn) {
		cs_close(&dec->cs);
		free(dec);
		return NULL;
	}
	warm_up(dec);
	return dec;
}

void decoder_close(struct decoder *dec)
{
	if (!dec)
		return;
	cs_free(dec->insn, 1);
	cs_close(&dec->cs);
	free(dec);
}

/* Capstone register → index into mcontext gregs; -1 for anything that is not
 * a pointer-sized general register (the architecture's list: ARCH_GREGS). */
static int greg_of(x86_reg r)
{
#define GREG_CASE(cs, greg) case cs: return greg;
	switch (r) {
	ARCH_GREGS(GREG_CASE)
	default:          return -1;
	}
#undef GREG_CASE
}

/* Fill OUT's memory operand; false if it is not a plain pointer-sized
 * [mem] we can evaluate (segment overrides, vector indexes, odd sizes are
 * refused). */
static bool take_mem(const cs_x86_op *op, struct insn *out)
{
	if (op->type != X86_OP_MEM || op->size != ARCH_WORD)
		return false;
	if (op->mem.segment != X86_REG_INVALID)
		return false;
	if (op->mem.base == X86_REG_RIP)
		out->base = INSN_RIP_REL;
	else if (op->mem.base == X86_REG_INVALID)
		out->base = INSN_NO_REG;
	else if ((out->base = (int8_t)greg_of(op->mem.base)) < 0)
		return false;
	if (op->mem.index == X86_REG_INVALID)
		out->index = INSN_NO_REG;
	else if ((out->index = (int8_t)greg_of(op->mem.index)) < 0)
		return false;
	out->scale = (uint8_t)op->mem.scale;
	out->disp = (int32_t)op->mem.disp;
	return true;
}

/* The first prefix byte that makes a call shape mean something other than
 * what we emulate, or 0. Read from the bytes: Capstone 4 drops prefixes it
 * finds meaningless (f3 on a call) instead of reporting them.
 *   66  on call/jmp: AMD CPUs make it a 16-bit branch (a 2-byte return
 *       address, IP truncated), Intel ones ignore it. REX.W wins over it
 *       on both (gcc's TLS sequence `data16 rex.W call` relies on that), so
 *       only without REX.W is it refused. On a mov, a 64-bit destination
 *       already means REX.W.
 *   67  the address is computed in 32 bits: never in x86-64 System V code.
 *   f2  on call/jmp: BND, a no-op without MPX (which Linux no longer
 *       enables); gcc -mmpx and BND PLTs emitted it, so it is accepted.
 *   f2/f3 elsewhere, f0: no meaning on these shapes.
 * Segment overrides are refused by take_mem; a REX byte counts only right
 * before the opcode, which Capstone's rex field already says. */
static uint8_t refused_prefix(const cs_insn *ci, bool branch)
{
	for (unsigned i = 0; i < ci->size; i++) {
		uint8_t b = ci->bytes[i];
		switch (b) {
		case 0x66:
			if (branch && !(ci->detail->x86.rex & 0x08))
				return b;
			break;
		case 0xf2:
			if (!branch)
				return b;
			break;
		case 0x67: case 0xf0: case 0xf3:
			return b;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			break;
		default:
			if ((b & 0xf0) != 0x40)   /* not REX: the opcode */
				return 0;
		}
	}
	return 0;
}

static void classify(const cs_insn *ci, struct insn *out)
{
	const cs_x86 *x = &ci->detail->x86;
	memset(out, 0, sizeof *out);
	out->kind = INSN_OTHER;
	out->len = (uint8_t)ci->size;
	out->dest = INSN_NO_REG;
	if ((ci->id == X86_INS_CALL || ci->id == X86_INS_JMP) && x->op_count == 1) {
		if (x->operands[0].type == X86_OP_MEM && (out->prefix = refused_prefix(ci, true)))
			return;
		if (take_mem(&x->operands[0], out))
			out->kind = ci->id == X86_INS_CALL ? INSN_CALL_MEM : INSN_JMP_MEM;
		return;
	}
	if (ci->id == X86_INS_MOV && x->op_count == 2 &&
	    x->operands[0].type == X86_OP_REG && x->operands[0].size == ARCH_WORD) {
		if ((out->prefix = refused_prefix(ci, false)))
			return;
		int dest = greg_of(x->operands[0].reg);
		/* Loading a gate into the stack pointer is no call: refuse it. */
		if (dest >= 0 && dest != REG_SP && take_mem(&x->operands[1], out)) {
			out->kind = INSN_MOV_LOAD;
			out->dest = (int8_t)dest;
		}
	}
}

static bool capstone_decode(struct decoder *dec, uintptr_t rip, struct insn *out)
{
	const uint8_t *code = (const uint8_t *)rip;
	size_t size = 15;        /* the longest x86 instruction */
	uint64_t addr = rip;
	if (!cs_disasm_iter(dec->cs, &code, &size, &addr, dec->insn))
		return false;
	classify(dec->insn, out);
	return true;
}

const struct cs_insn *decode_insn(struct decoder *dec, uintptr_t rip)
{
	const uint8_t *code = (const uint8_t *)rip;
	size_t size = 15;        /* the longest x86 instruction */
	uint64_t addr = rip;
	if (!dec || !cs_disasm_iter(dec->cs, &code, &size, &addr, dec->insn))
		return NULL;
	return dec->insn;
}

static struct cache_entry *cache_find(uintptr_t rip)
{
	size_t h = (rip * 0x9e3779b97f4a7c15ull) >> 52;
	for (unsigned i = 0; i < CACHE_PROBE; i++) {
		struct cache_entry *e = &cache[(h + i) & (CACHE_SIZE - 1)];
		uintptr_t key = atomic_load_explicit(&e->rip, memory_order_acquire);
		if (key == rip)
			return memcmp(e->bytes, (const void *)rip, e->insn.len) == 0 ? e : NULL;
		if (key == 0)
			return NULL;
	}
	return NULL;
}

static void cache_add(uintptr_t rip, const struct insn *in)
{
	size_t h = (rip * 0x9e3779b97f4a7c15ull) >> 52;
	for (unsigned i = 0; i < CACHE_PROBE; i++) {
		struct cache_entry *e = &cache[(h + i) & (CACHE_SIZE - 1)];
		uintptr_t expect = 0;
		if (!atomic_compare_exchange_strong(&e->rip, &expect, KEY_CLAIMED)) {
			if (expect == rip)
				return;   /* another thread got there first */
			continue;
		}
		e->insn = *in;
		memcpy(e->bytes, (const void *)rip, in->len);
		atomic_store_explicit(&e->rip, rip, memory_order_release);
		return;
	}
	/* All probes taken: this site is decoded every time. Still correct. */
}

bool decode_at(struct decoder *dec, uintptr_t rip, struct insn *out)
{
	bool use_cache = atomic_load_explicit(&cache_on, memory_order_relaxed);
	if (use_cache) {
		struct cache_entry *e = cache_find(rip);
		if (e) {
			*out = e->insn;
			return true;
		}
	}
	if (!capstone_decode(dec, rip, out))
		return false;
	if (use_cache && out->kind != INSN_OTHER)
		cache_add(rip, out);
	return true;
}

uintptr_t insn_operand_address(const struct insn *in, uintptr_t rip,
			       const greg_t *gregs)
{
	uintptr_t ea = (uintptr_t)(intptr_t)in->disp;
	if (in->base == INSN_RIP_REL)
		ea += rip + in->len;
	else if (in->base >= 0)
		ea += (uintptr_t)gregs[in->base];
	if (in->index >= 0)
		ea += (uintptr_t)gregs[in->index] * in->scale;
	return ea;
}

void decode_text(struct decoder *dec, uintptr_t rip, char *buf, size_t cap)
{
	const uint8_t *code = (const uint8_t *)rip;
	size_t size = 15;
	uint64_t addr = rip;
	size_t n = 0;
	buf[0] = '\0';
	if (!dec || !cs_disasm_iter(dec->cs, &code, &size, &addr, dec->insn)) {
		const char *s = "(undecodable)";
		while (s[n] && n + 1 < cap) { buf[n] = s[n]; n++; }
		buf[n] = '\0';
		return;
	}
	for (const char *s = dec->insn->mnemonic; *s && n + 1 < cap; s++)
		buf[n++] = *s;
	if (dec->insn->op_str[0] && n + 1 < cap)
		buf[n++] = ' ';
	for (const char *s = dec->insn->op_str; *s && n + 1 < cap; s++)
		buf[n++] = *s;
	buf[n] = '\0';
}
