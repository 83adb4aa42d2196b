/* Driver-style code (see driver.h), compiled by the compiler and at the
 * level under test. Everything goes through the volatile struct as a
 * driver's code would; memcpy takes fixed sizes, which the compiler
 * expands inline (clang needs __builtin_memcpy_inline for that at -O0:
 * otherwise it calls the C library's, which may use AVX-512 moves the
 * emulator refuses). */
#include <stddef.h>
#include "driver.h"

#if defined(__clang__)
#define COPY(d, s, n) __builtin_memcpy_inline((void *)(d), (const void *)(s), n)
#else
#define COPY(d, s, n) __builtin_memcpy((void *)(d), (const void *)(s), n)
#endif

#define NOINLINE __attribute__((noinline))

/* Every register, every width, signed fields sign-extended. */
static NOINLINE uint64_t poll_everything(volatile struct dev_regs *r, uint8_t *ram)
{
	uint64_t sum = r->status;
	int t = r->temp;
	long o = r->offset;
	long l = r->level;
	int64_t p = r->position;
	sum = sum * 31 + r->divisor;
	sum = sum * 31 + r->control;
	sum = sum * 31 + r->counter;
	sum = sum * 31 + (uint64_t)(t * 3 + o * 5 + l * 7 + p);
	ram[0] = (uint8_t)t;
	ram[1] = (uint8_t)(o >> 8);
	return sum;
}

static NOINLINE uint64_t write_everything(volatile struct dev_regs *r, uint8_t *ram)
{
	r->status = ram[2];
	r->temp = (int8_t)-3;
	r->divisor = (uint16_t)(ram[3] << 8 | ram[4]);
	r->offset = -1234;
	r->control = 0x80000001u;
	r->level = -70000;
	r->counter = 0x0123456789abcdefull;
	r->position = -((int64_t)ram[5] << 40);
	return r->control;
}

static NOINLINE uint64_t bitfields(volatile struct dev_regs *r, uint8_t *ram)
{
	r->cfg.mode = 5;
	r->cfg.enable = 1;
	r->cfg.prescale = ram[6];
	r->cfg.irq = r->cfg.mode + 2;
	return (uint64_t)r->cfg.irq << 8 | r->cfg.prescale;
}

static NOINLINE uint64_t or_and(volatile struct dev_regs *r, uint8_t *ram)
{
	r->control |= 0x10;
	r->control &= ~0x4u;
	r->ier |= 1u << (ram[7] & 31);
	r->status &= 0x7f;
	r->status |= 0x01;
	r->counter += 5;
	r->level -= 3;
	r->divisor ^= 0xff;
	r->position = -r->position;
	r->spare = (uint16_t)~r->spare;
	return r->control ^ r->ier;
}

static NOINLINE uint64_t compare(volatile struct dev_regs *r, uint8_t *ram)
{
	uint64_t bits = 0;
	if (r->status == 0x5a)
		bits |= 1;
	if (r->control & 0x8)
		bits |= 2;
	if (r->counter > 100)
		bits |= 4;
	if (r->level < 0)
		bits |= 8;
	if (r->temp < ram[8])
		bits |= 16;
	for (int i = 0; i < 4 && !(r->status & 0x80); i++)
		bits += 32;
	return bits;
}

static NOINLINE uint64_t atomics(volatile struct dev_regs *r, uint8_t *ram)
{
	uint32_t was = __atomic_fetch_or(&r->ier, 2u, __ATOMIC_SEQ_CST);
	uint32_t old = __atomic_exchange_n(&r->control, (uint32_t)ram[9], __ATOMIC_SEQ_CST);
	uint64_t c = __atomic_fetch_add(&r->counter, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&r->status, (uint8_t)0xf0, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&r->ier, 8u, __ATOMIC_SEQ_CST);   /* the result unused */
	__atomic_add_fetch(&r->level, 1, __ATOMIC_SEQ_CST);
	return (uint64_t)was + old + c;
}

static NOINLINE uint64_t fifo(volatile struct dev_regs *r, uint8_t *ram)
{
	uint64_t sum = 0;
	for (int i = 0; i < 16; i++)
		r->fifo[i] = ram[16 + i];
	for (int i = 0; i < 8; i++)
		sum = sum * 3 + r->fifo[100 + i];
	return sum;
}

static NOINLINE uint64_t struct_copies(volatile struct dev_regs *r, uint8_t *ram)
{
	struct desc d = { 0x1000, (uint32_t)ram[10], 0x8001, 7 };
	r->desc[2] = d;
	struct desc e = r->desc[5];
	ram[40] = (uint8_t)e.id;
	return (uint64_t)e.addr ^ e.len ^ e.flags;
}

/* memcpy of N bytes into the window (from RAM) and out of it (into RAM). */
#define COPIES(n) \
static NOINLINE uint64_t copy_##n(volatile struct dev_regs *r, uint8_t *ram) \
{ \
	COPY(r->blob + 3, ram + 64, n); \
	COPY(ram + 256, r->blob + 200, n); \
	return ram[256] + ram[256 + (n) - 1]; \
}
COPIES(1) COPIES(2) COPIES(3) COPIES(4) COPIES(5) COPIES(7) COPIES(8) COPIES(9)
COPIES(15) COPIES(16) COPIES(17) COPIES(24) COPIES(31) COPIES(32) COPIES(33)
COPIES(48) COPIES(63) COPIES(64) COPIES(65) COPIES(100) COPIES(127) COPIES(128)
COPIES(129) COPIES(192) COPIES(200) COPIES(255) COPIES(256)

#define C(n) { "memcpy " #n, copy_##n }
const struct scenario driver_scenarios[] = {
	{ "poll every register", poll_everything },
	{ "write every register", write_everything },
	{ "bit-fields", bitfields },
	{ "|= and &=", or_and },
	{ "compare and test", compare },
	{ "atomics", atomics },
	{ "fifo bytes", fifo },
	{ "struct copies", struct_copies },
	C(1), C(2), C(3), C(4), C(5), C(7), C(8), C(9), C(15), C(16), C(17), C(24),
	C(31), C(32), C(33), C(48), C(63), C(64), C(65), C(100), C(127), C(128), C(129),
	C(192), C(200), C(255), C(256),
};
const unsigned driver_nscenarios = sizeof driver_scenarios / sizeof driver_scenarios[0];
