/* The window emulator by hand: what it refuses and why, how it decodes
 * and carries out port I/O, what a failing owner does to a load, a store and an atomic
 * access, which callbacks each kind of access uses, the zmm bits a VEX
 * load clears through a real fault, that it allocates nothing, and what a
 * mov costs. The random differential test is emulate_diff_test.c. */
#include <capstone/capstone.h>
#include <cpuid.h>
#include <errno.h>
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
#include <setjmp.h>
#include <cmocka.h>
#include "entry/emulate.h"
#include "entry/emulate_port.h"

#include "../sanitizers.h"

/* Count every allocation, to show the emulator makes none (not under a
 * sanitizer that owns malloc: that one test is skipped there). */
static long allocations;
#ifndef PF_TEST_SANITIZER_OWNS_MALLOC
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
#endif

/* A window that exists only for the emulator: addresses 0x10000-0x12000,
 * bytes in mem[], every callback counted, each able to fail. */
#define WIN 0x10000ull
#define WIN_SIZE 0x2000ull
static const struct emu_window window = { WIN, WIN + WIN_SIZE };

static struct bus_state {
	uint8_t mem[WIN_SIZE];
	unsigned reads, writes, rmws, rmw_writes;
	uint64_t last_addr[16];
	int fail;            /* the error every callback returns, or 0 */
	bool fail_after_fn;  /* rmw: run fn, then fail to write */
} bus;

static void note(uint64_t addr)
{
	unsigned n = bus.reads + bus.writes + bus.rmws;
	if (n < 16)
		bus.last_addr[n] = addr;
}

static int bus_read(void *ctx, uint64_t addr, unsigned width, void *out)
{
	(void)ctx;
	note(addr);
	bus.reads++;
	if (bus.fail)
		return bus.fail;
	memcpy(out, bus.mem + (addr - WIN), width);
	return 0;
}

static int bus_write(void *ctx, uint64_t addr, unsigned width, const void *in)
{
	(void)ctx;
	note(addr);
	bus.writes++;
	if (bus.fail)
		return bus.fail;
	memcpy(bus.mem + (addr - WIN), in, width);
	return 0;
}

static int bus_rmw(void *ctx, uint64_t addr, unsigned width, emu_rmw_fn *fn, void *fnctx)
{
	_Alignas(32) uint8_t v[32];
	(void)ctx;
	note(addr);
	bus.rmws++;
	if (bus.fail && !bus.fail_after_fn)
		return bus.fail;
	memcpy(v, bus.mem + (addr - WIN), width);
	if (!fn(fnctx, v))
		return 0;
	if (bus.fail)
		return bus.fail;
	bus.rmw_writes++;
	memcpy(bus.mem + (addr - WIN), v, width);
	return 0;
}

static const struct emu_bus the_bus = { bus_read, bus_write, bus_rmw, NULL };

static csh cs;
static cs_insn *insn;

#define RIP 0x400000ull

/* A CPU at RIP with recognisable registers; rbx points into the window. */
static struct emu_cpu cpu_at(uint64_t rbx)
{
	struct emu_cpu c;
	memset(&c, 0, sizeof c);
	for (unsigned i = 0; i < 16; i++)
		c.gpr[i] = 0x1111111111111111ull * (i + 1);
	c.gpr[EMU_RBX] = rbx;
	c.rip = RIP;
	c.rflags = 0x2;
	return c;
}

/* Decode BYTES as if at RIP; emu_decode with FAULT (NULL: none). */
static int decode(const uint8_t *bytes, size_t n, const struct emu_cpu *c,
		  const struct emu_fault *fault, struct emu_plan *plan)
{
	const uint8_t *code = bytes;
	uint64_t addr = c->rip;
	assert_true(cs_disasm_iter(cs, &code, &n, &addr, insn));
	return emu_decode(insn, c, &window, fault, plan);
}

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static void reset_bus(void)
{
	memset(&bus, 0, sizeof bus);
	for (unsigned i = 0; i < WIN_SIZE; i++)
		bus.mem[i] = (uint8_t)(i * 7 + 3);
}

/* ---- refusals ------------------------------------------------------------- */

static void expect_refusal(const uint8_t *bytes, size_t n, uint64_t rbx, int err)
{
	struct emu_cpu c = cpu_at(rbx);
	struct emu_plan plan;
	int rc = decode(bytes, n, &c, NULL, &plan);
	if (rc != err)
		printf("  %s %s: %d (%s)\n", insn->mnemonic, insn->op_str, rc,
		       plan.refusal ? plan.refusal : "accepted");
	assert_int_equal(rc, err);
	assert_non_null(plan.refusal);
	struct emu_cpu before = c;
	assert_int_equal(emu_execute(&plan, &c, &the_bus), -EINVAL);
	assert_memory_equal(&before, &c, sizeof c);   /* a refused plan does nothing */
}

static void instructions_outside_the_list_are_refused(void **state)
{
	(void)state;
	uint64_t in = WIN + 0x100;
	expect_refusal(BYTES(0x0f, 0xaf, 0x03), in, -EOPNOTSUPP);         /* imul eax, [rbx] */
	expect_refusal(BYTES(0xff, 0x33), in, -EOPNOTSUPP);               /* push [rbx] */
	expect_refusal(BYTES(0xff, 0x13), in, -EOPNOTSUPP);               /* call [rbx] */
	expect_refusal(BYTES(0x0f, 0x12, 0x03), in, -EOPNOTSUPP);         /* movlps xmm0, [rbx] */
	expect_refusal(BYTES(0x48, 0x0f, 0xc7, 0x0b), in, -EOPNOTSUPP);   /* cmpxchg16b [rbx] */
	expect_refusal(BYTES(0xac), in, -EOPNOTSUPP);                     /* lodsb */
	expect_refusal(BYTES(0xd1, 0x23), in, -EOPNOTSUPP);               /* shl dword [rbx], 1 */
	expect_refusal(BYTES(0x89, 0xd8), in, -EOPNOTSUPP);               /* mov eax, ebx: no memory */
}

static void prefixes_and_registers_it_cannot_take_are_refused(void **state)
{
	(void)state;
	uint64_t in = WIN + 0x100;
	expect_refusal(BYTES(0x64, 0x8b, 0x03), in, -EOPNOTSUPP);         /* fs: */
	expect_refusal(BYTES(0x65, 0x8b, 0x03), in, -EOPNOTSUPP);         /* gs: */
	expect_refusal(BYTES(0x67, 0x8b, 0x03), in, -EOPNOTSUPP);         /* [ebx] */
	expect_refusal(BYTES(0x62, 0xf1, 0xfe, 0x28, 0x6f, 0x03), in, -EOPNOTSUPP); /* vmovdqu64 ymm0 */
	expect_refusal(BYTES(0x0f, 0x6f, 0x03), in, -EOPNOTSUPP);         /* movq mm0, [rbx] */
	/* A lock the CPU answers with #UD: Capstone rejects most such
	 * encodings itself; the ones it decodes are refused here. */
	expect_refusal(BYTES(0xf0, 0x03, 0x03), in, -EOPNOTSUPP);         /* lock add eax, [rbx] */
	expect_refusal(BYTES(0xf0, 0xf3, 0x0f, 0x6f, 0x03), in, -EOPNOTSUPP); /* lock movdqu */
	const uint8_t *code = (const uint8_t[]){ 0xf0, 0x89, 0x03 };      /* lock mov */
	size_t n = 3;
	uint64_t addr = RIP;
	assert_false(cs_disasm_iter(cs, &code, &n, &addr, insn));
	expect_refusal(BYTES(0xf2, 0xa4), in, -EOPNOTSUPP);               /* repne movsb */
	expect_refusal(BYTES(0x63, 0x03), in, -EOPNOTSUPP);               /* movsxd without REX.W */
	expect_refusal(BYTES(0x66, 0x0f, 0x6f, 0x03), in + 8, -EOPNOTSUPP); /* misaligned movdqa */
	expect_refusal(BYTES(0xc5, 0xfd, 0x6f, 0x03), in + 16, -EOPNOTSUPP); /* misaligned vmovdqa ymm */
}

static void segment_prefixes_with_base_zero_are_accepted(void **state)
{
	(void)state;
	static const uint8_t prefixes[] = { 0x2e, 0x3e, 0x26, 0x36 };
	for (unsigned i = 0; i < 4; i++) {
		uint8_t bytes[] = { prefixes[i], 0x8b, 0x03 };   /* mov eax, seg:[rbx] */
		struct emu_cpu c = cpu_at(WIN + 0x40);
		struct emu_plan plan;
		assert_int_equal(decode(bytes, sizeof bytes, &c, NULL, &plan), 0);
		assert_int_equal(plan.addr, WIN + 0x40);
	}
}

static void accesses_crossing_the_window_end_are_refused(void **state)
{
	(void)state;
	uint64_t end = WIN + WIN_SIZE;
	expect_refusal(BYTES(0x8b, 0x03), end - 2, -ERANGE);              /* mov eax, [rbx] */
	expect_refusal(BYTES(0xc5, 0xfe, 0x6f, 0x03), end - 16, -ERANGE); /* vmovdqu ymm0, [rbx] */
	expect_refusal(BYTES(0x8b, 0x03), WIN - 2, -ERANGE);              /* across the start */
	expect_refusal(BYTES(0x48, 0x8b, 0x03), ~0ull - 3, -ERANGE);      /* wraps around */
	/* rep stosd from rdi = end - 8 with rcx 4 runs 8 bytes past the end. */
	struct emu_cpu c = cpu_at(0);
	struct emu_plan plan;
	c.gpr[EMU_RDI] = end - 8;
	c.gpr[EMU_RCX] = 4;
	assert_int_equal(decode(BYTES(0xf3, 0xab), &c, NULL, &plan), -ERANGE);
	/* Going down (DF) from the window's first dword crosses the start. */
	c.gpr[EMU_RDI] = WIN;
	c.rflags |= EMU_DF;
	assert_int_equal(decode(BYTES(0xf3, 0xab), &c, NULL, &plan), -ERANGE);
	/* The whole window, to the last byte, is fine. */
	c.gpr[EMU_RDI] = end - 4;
	c.gpr[EMU_RCX] = WIN_SIZE / 4;
	assert_int_equal(decode(BYTES(0xf3, 0xab), &c, NULL, &plan), 0);
}

static void a_bit_offset_reaching_outside_the_window_is_refused(void **state)
{
	(void)state;
	/* bt [rbx], rcx with the bit 0x20000 words away; and -1: the word
	 * just below rbx, which is the window's first, then below that. */
	struct emu_cpu c = cpu_at(WIN);
	struct emu_plan plan;
	c.gpr[EMU_RCX] = 0x100000;
	assert_int_equal(decode(BYTES(0x0f, 0xa3, 0x0b), &c, NULL, &plan), -EFAULT);
	c.gpr[EMU_RCX] = (uint64_t)-1;   /* bit 31 of the dword at rbx - 4 */
	assert_int_equal(decode(BYTES(0x0f, 0xa3, 0x0b), &c, NULL, &plan), -EFAULT);
	c.gpr[EMU_RBX] = WIN + 4;
	assert_int_equal(decode(BYTES(0x0f, 0xa3, 0x0b), &c, NULL, &plan), 0);
	assert_int_equal(plan.addr, WIN);
	assert_int_equal(plan.bit, 31);
}

static void an_access_that_did_not_fault_is_refused(void **state)
{
	(void)state;
	struct emu_cpu c = cpu_at(WIN + 0x100);
	struct emu_plan plan;
	struct emu_fault elsewhere = { WIN + 0x200, -1 };
	struct emu_fault read_at = { WIN + 0x102, 0 }, write_at = { WIN + 0x100, 1 };
	assert_int_equal(decode(BYTES(0x8b, 0x03), &c, &elsewhere, &plan), -EFAULT);
	/* The fault may be any byte of the access, in its direction. */
	assert_int_equal(decode(BYTES(0x8b, 0x03), &c, &read_at, &plan), 0);
	assert_int_equal(decode(BYTES(0x8b, 0x03), &c, &write_at, &plan), -EFAULT);
	assert_int_equal(decode(BYTES(0x89, 0x03), &c, &write_at, &plan), 0);
	assert_int_equal(decode(BYTES(0x89, 0x03), &c, &read_at, &plan), -EFAULT);
	/* A read-modify-write explains a read or a write fault. */
	assert_int_equal(decode(BYTES(0x01, 0x03), &c, &read_at, &plan), 0);
	assert_int_equal(decode(BYTES(0x01, 0x03), &c, &write_at, &plan), 0);
	/* A load outside the window is not what faulted in it. */
	c.gpr[EMU_RBX] = WIN + WIN_SIZE + 0x100;
	assert_int_equal(decode(BYTES(0x8b, 0x03), &c, NULL, &plan), -EFAULT);
	/* An instruction decoded at another address than rip. */
	c.gpr[EMU_RBX] = WIN;
	const uint8_t *code = (const uint8_t[]){ 0x8b, 0x03 };
	size_t n = 2;
	uint64_t addr = RIP + 1;
	assert_true(cs_disasm_iter(cs, &code, &n, &addr, insn));
	assert_int_equal(emu_decode(insn, &c, &window, NULL, &plan), -EINVAL);
}

/* ---- port I/O ------------------------------------------------------------- */

static void port_io_is_decoded_but_not_executed(void **state)
{
	(void)state;
	struct emu_cpu c = cpu_at(0);
	struct emu_plan plan;
	c.gpr[EMU_RDX] = 0x123403f8;   /* the port is dx: the low 16 bits */
	c.gpr[EMU_RCX] = 5;

	assert_int_equal(decode(BYTES(0xe4, 0x60), &c, NULL, &plan), 0);   /* in al, 0x60 */
	assert_int_equal(plan.op, EMU_OP_PORT);
	assert_int_equal(plan.port, 0x60);
	assert_int_equal(plan.width, 1);
	assert_true(plan.port_in);
	assert_false(plan.port_string);

	assert_int_equal(decode(BYTES(0xef), &c, NULL, &plan), 0);         /* out dx, eax */
	assert_int_equal(plan.port, 0x3f8);
	assert_int_equal(plan.width, 4);
	assert_false(plan.port_in);

	assert_int_equal(decode(BYTES(0x66, 0xed), &c, NULL, &plan), 0);   /* in ax, dx */
	assert_int_equal(plan.width, 2);
	assert_true(plan.port_in);

	assert_int_equal(decode(BYTES(0xf3, 0x6d), &c, NULL, &plan), 0);   /* rep insd */
	assert_true(plan.port_string);
	assert_true(plan.rep);
	assert_int_equal(plan.count, 5);
	assert_int_equal(plan.width, 4);
	assert_true(plan.port_in);

	/* 66 before rep: still a 16-bit element (Capstone says insd). */
	assert_int_equal(decode(BYTES(0x66, 0xf3, 0x6d), &c, NULL, &plan), 0);   /* rep insw */
	assert_true(plan.rep);
	assert_int_equal(plan.width, 2);
	assert_int_equal(decode(BYTES(0xf3, 0x66, 0x6f), &c, NULL, &plan), 0);   /* rep outsw */
	assert_int_equal(plan.width, 2);
	assert_false(plan.port_in);
	assert_int_equal(decode(BYTES(0x48, 0xef), &c, NULL, &plan), 0);   /* out dx, eax (REX.W) */
	assert_int_equal(plan.width, 4);

	assert_int_equal(decode(BYTES(0x6e), &c, NULL, &plan), 0);         /* outsb */
	assert_true(plan.port_string);
	assert_false(plan.rep);
	assert_int_equal(plan.count, 1);
	assert_int_equal(plan.width, 1);
	assert_false(plan.port_in);

	struct emu_cpu before = c;
	reset_bus();
	assert_int_equal(emu_execute(&plan, &c, &the_bus), -EOPNOTSUPP);
	assert_memory_equal(&before, &c, sizeof c);
	assert_int_equal(bus.reads + bus.writes + bus.rmws, 0);
}

/* emu_execute_port against ports that are bytes: in and out keep or zero
 * the accumulator's upper bits as any write of that size, the string
 * forms move element by element in DF's direction, rcx ends 0, and a
 * failing port reads all ones. */
static uint8_t port_space[0x10000 + 4];
static unsigned port_reads, port_writes;
static int port_fail;

static int port_read(void *ctx, uint64_t port, unsigned width, void *out)
{
	(void)ctx;
	port_reads++;
	if (port_fail)
		return port_fail;
	memcpy(out, port_space + port, width);
	return 0;
}

static int port_write(void *ctx, uint64_t port, unsigned width, const void *in)
{
	(void)ctx;
	port_writes++;
	if (port_fail)
		return port_fail;
	memcpy(port_space + port, in, width);
	return 0;
}

static const struct emu_bus port_bus = { port_read, port_write, NULL, NULL };

static int port_run(const uint8_t *bytes, size_t n, struct emu_cpu *c)
{
	struct emu_plan plan;
	assert_int_equal(decode(bytes, n, c, NULL, &plan), 0);
	return emu_execute_port(&plan, c, &port_bus);
}

#define PORT_RUN(c, ...) port_run((const uint8_t[]){ __VA_ARGS__ }, \
				  sizeof((const uint8_t[]){ __VA_ARGS__ }), c)

static void port_io_is_carried_out_exactly(void **state)
{
	(void)state;
	struct emu_cpu c = cpu_at(0);
	uint64_t flags = c.rflags = 0x8d7;
	memcpy(port_space + 0x3f8, "\x41\x42\x43\x44", 4);
	c.gpr[EMU_RDX] = 0x3f8;
	c.gpr[EMU_RAX] = ~0ull;
	assert_int_equal(PORT_RUN(&c, 0xec), 0);                  /* in al, dx */
	assert_true(c.gpr[EMU_RAX] == 0xffffffffffffff41ull);
	assert_int_equal(c.rip, RIP + 1);
	c.rip = RIP;
	c.gpr[EMU_RAX] = ~0ull;
	assert_int_equal(PORT_RUN(&c, 0x66, 0xed), 0);            /* in ax, dx */
	assert_true(c.gpr[EMU_RAX] == 0xffffffffffff4241ull);
	c.rip = RIP;
	assert_int_equal(PORT_RUN(&c, 0xed), 0);                  /* in eax, dx */
	assert_true(c.gpr[EMU_RAX] == 0x44434241ull);
	c.rip = RIP;
	c.gpr[EMU_RAX] = 0x1122334455667788ull;
	assert_int_equal(PORT_RUN(&c, 0xe7, 0x80), 0);            /* out 0x80, eax */
	assert_memory_equal(port_space + 0x80, "\x88\x77\x66\x55", 4);
	assert_int_equal(c.rflags, flags);

	/* rep outsb, then rep insw downwards. */
	uint8_t src[6] = "abcde", dst[8];
	c.rip = RIP;
	c.gpr[EMU_RSI] = (uint64_t)(uintptr_t)src;
	c.gpr[EMU_RCX] = 5;
	unsigned writes = port_writes;
	assert_int_equal(PORT_RUN(&c, 0xf3, 0x6e), 0);
	assert_int_equal(port_writes - writes, 5);
	assert_int_equal(port_space[0x3f8], 'e');
	assert_true(c.gpr[EMU_RSI] == (uint64_t)(uintptr_t)(src + 5));
	assert_int_equal(c.gpr[EMU_RCX], 0);
	memset(dst, 0, sizeof dst);
	c.rip = RIP;
	c.rflags |= EMU_DF;
	c.gpr[EMU_RDI] = (uint64_t)(uintptr_t)(dst + 6);
	c.gpr[EMU_RCX] = 4;
	memcpy(port_space + 0x3f8, "\x34\x12", 2);
	assert_int_equal(PORT_RUN(&c, 0x66, 0xf3, 0x6d), 0);
	assert_true(c.gpr[EMU_RDI] == (uint64_t)(uintptr_t)dst - 2);
	for (unsigned i = 0; i < 8; i += 2)
		assert_int_equal(dst[i] | dst[i + 1] << 8, 0x1234);

	/* A failing port: in reads all ones, out is dropped, and the error
	 * comes back. */
	port_fail = -EIO;
	c.rip = RIP;
	c.rflags &= ~(uint64_t)EMU_DF;
	c.gpr[EMU_RAX] = 0;
	assert_int_equal(PORT_RUN(&c, 0x66, 0xe5, 0x10), -EIO);  /* in ax, 0x10 */
	assert_int_equal(c.gpr[EMU_RAX], 0xffff);
	assert_int_equal(c.rip, RIP + 3);
	port_fail = 0;

	/* Not a port plan. */
	struct emu_plan plan;
	c = cpu_at(WIN);
	assert_int_equal(decode(BYTES(0x8b, 0x03), &c, NULL, &plan), 0);
	assert_int_equal(emu_execute_port(&plan, &c, &port_bus), -EINVAL);
}

/* ---- a failing owner ------------------------------------------------------ */

static void run(const uint8_t *bytes, size_t n, struct emu_cpu *c, int expect)
{
	struct emu_plan plan;
	assert_int_equal(decode(bytes, n, c, NULL, &plan), 0);
	assert_int_equal(emu_execute(&plan, c, &the_bus), expect);
	assert_int_equal(c->rip, RIP + n);   /* the instruction completes either way */
}

static void a_failed_load_yields_all_ones(void **state)
{
	(void)state;
	struct emu_cpu c = cpu_at(WIN + 0x10);
	reset_bus();
	bus.fail = -ESRCH;
	run(BYTES(0x8b, 0x03), &c, -ESRCH);                  /* mov eax, [rbx] */
	assert_int_equal(c.gpr[EMU_RAX], 0xffffffffull);     /* 32-bit: upper half zero */
	c = cpu_at(WIN + 0x10);
	run(BYTES(0x8a, 0x23), &c, -ESRCH);                  /* mov ah, [rbx] */
	assert_int_equal(c.gpr[EMU_RAX], 0x111111111111ff11ull);
	c = cpu_at(WIN + 0x10);
	run(BYTES(0xf3, 0x0f, 0x6f, 0x0b), &c, -ESRCH);      /* movdqu xmm1, [rbx] */
	assert_int_equal(c.vec[1].q[0], ~0ull);
	assert_int_equal(c.vec[1].q[1], ~0ull);
	assert_int_equal(c.vec[1].q[2], 0);
	c = cpu_at(WIN + 0x10);
	run(BYTES(0x80, 0x3b, 0xff), &c, -ESRCH);            /* cmp byte [rbx], 0xff */
	assert_true(c.rflags & EMU_ZF);
}

static void a_failed_store_is_dropped(void **state)
{
	(void)state;
	struct emu_cpu c = cpu_at(WIN + 0x10), before;
	reset_bus();
	uint8_t mem[WIN_SIZE];
	memcpy(mem, bus.mem, sizeof mem);
	bus.fail = -EOWNERDEAD;
	before = c;
	run(BYTES(0x89, 0x03), &c, -EOWNERDEAD);             /* mov [rbx], eax */
	before.rip = c.rip;
	assert_memory_equal(&before, &c, sizeof c);
	assert_memory_equal(mem, bus.mem, sizeof mem);
	assert_int_equal(bus.writes, 1);
	/* A read-modify-write whose read fails still computes (on all ones)
	 * and tries the write; flags follow. */
	c = cpu_at(WIN + 0x10);
	run(BYTES(0x83, 0x03, 0x01), &c, -EOWNERDEAD);       /* add dword [rbx], 1 */
	assert_true(c.rflags & EMU_CF);
	assert_true(c.rflags & EMU_ZF);
	assert_memory_equal(mem, bus.mem, sizeof mem);
}

static void a_failed_atomic_access_completes_as_after_a_failed_read(void **state)
{
	(void)state;
	struct emu_cpu c = cpu_at(WIN + 0x10);
	reset_bus();
	bus.fail = -ETIMEDOUT;
	c.gpr[EMU_RCX] = 5;
	run(BYTES(0xf0, 0x0f, 0xc1, 0x0b), &c, -ETIMEDOUT);  /* lock xadd [rbx], ecx */
	assert_int_equal(c.gpr[EMU_RCX], 0xffffffffull);     /* the old value: all ones */
	assert_true(c.rflags & EMU_CF);                      /* 0xffffffff + 5 carries */
	assert_int_equal(bus.rmws, 1);
	/* The owner ran the update, then the write failed: the registers
	 * are what the update computed from the real bytes. */
	c = cpu_at(WIN + 0x10);
	reset_bus();
	bus.fail = -ETIMEDOUT;
	bus.fail_after_fn = true;
	uint32_t old;
	memcpy(&old, bus.mem + 0x10, 4);
	run(BYTES(0x87, 0x0b), &c, -ETIMEDOUT);              /* xchg [rbx], ecx */
	assert_int_equal(c.gpr[EMU_RCX], old);
}

/* ---- which callbacks ------------------------------------------------------ */

static void expect_callbacks(const uint8_t *bytes, size_t n, unsigned reads,
			     unsigned writes, unsigned rmws)
{
	struct emu_cpu c = cpu_at(WIN + 0x20);
	c.gpr[EMU_RCX] = 3;
	reset_bus();
	run(bytes, n, &c, 0);
	assert_int_equal(bus.reads, reads);
	assert_int_equal(bus.writes, writes);
	assert_int_equal(bus.rmws, rmws);
}

static void each_form_makes_the_accesses_it_should(void **state)
{
	(void)state;
	expect_callbacks(BYTES(0x8b, 0x03), 1, 0, 0);                /* mov eax, [rbx] */
	expect_callbacks(BYTES(0x89, 0x03), 0, 1, 0);                /* mov [rbx], eax */
	expect_callbacks(BYTES(0x01, 0x03), 1, 1, 0);                /* add [rbx], eax: not atomic */
	expect_callbacks(BYTES(0x03, 0x03), 1, 0, 0);                /* add eax, [rbx] */
	expect_callbacks(BYTES(0x39, 0x03), 1, 0, 0);                /* cmp [rbx], eax */
	expect_callbacks(BYTES(0x85, 0x03), 1, 0, 0);                /* test [rbx], eax */
	expect_callbacks(BYTES(0x0f, 0xa3, 0x0b), 1, 0, 0);          /* bt [rbx], ecx */
	expect_callbacks(BYTES(0x0f, 0xab, 0x0b), 1, 1, 0);          /* bts [rbx], ecx */
	expect_callbacks(BYTES(0xf0, 0x01, 0x03), 0, 0, 1);          /* lock add */
	expect_callbacks(BYTES(0xf0, 0xff, 0x03), 0, 0, 1);          /* lock inc */
	expect_callbacks(BYTES(0xf0, 0x0f, 0xab, 0x0b), 0, 0, 1);    /* lock bts */
	expect_callbacks(BYTES(0x87, 0x03), 0, 0, 1);                /* xchg: locked anyway */
	expect_callbacks(BYTES(0x0f, 0xc1, 0x03), 1, 1, 0);          /* xadd without lock */
	expect_callbacks(BYTES(0xc5, 0xfe, 0x6f, 0x03), 1, 0, 0);    /* vmovdqu ymm0: one access */
}

static void a_failing_cmpxchg_writes_nothing_back(void **state)
{
	(void)state;
	struct emu_cpu c = cpu_at(WIN + 0x10);
	reset_bus();
	uint32_t old;
	memcpy(&old, bus.mem + 0x10, 4);
	c.gpr[EMU_RAX] = old + 1;
	run(BYTES(0xf0, 0x0f, 0xb1, 0x0b), &c, 0);           /* lock cmpxchg [rbx], ecx */
	assert_false(c.rflags & EMU_ZF);
	assert_int_equal(c.gpr[EMU_RAX], old);
	assert_int_equal(bus.rmws, 1);
	assert_int_equal(bus.rmw_writes, 0);
	c = cpu_at(WIN + 0x10);
	c.gpr[EMU_RAX] = old;
	run(BYTES(0xf0, 0x0f, 0xb1, 0x0b), &c, 0);
	assert_true(c.rflags & EMU_ZF);
	assert_int_equal(bus.rmw_writes, 1);
	memcpy(&old, bus.mem + 0x10, 4);
	assert_int_equal(old, (uint32_t)c.gpr[EMU_RCX]);
}

static void rep_movs_makes_one_access_per_element_in_order(void **state)
{
	(void)state;
	uint32_t ordinary[8] = { 0 };
	struct emu_cpu c = cpu_at(0);
	struct emu_plan plan;
	reset_bus();
	c.gpr[EMU_RSI] = WIN + 0x100;
	c.gpr[EMU_RDI] = (uint64_t)(uintptr_t)&ordinary[7];
	c.gpr[EMU_RCX] = 5;
	c.rflags |= EMU_DF;                                  /* downwards */
	assert_int_equal(decode(BYTES(0xf3, 0xa5), &c, NULL, &plan), 0);
	assert_true(plan.src_in_window);
	assert_false(plan.dst_in_window);
	assert_int_equal(emu_execute(&plan, &c, &the_bus), 0);
	assert_int_equal(bus.reads, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(bus.last_addr[i], WIN + 0x100 - 4 * i);
	for (unsigned i = 0; i < 5; i++) {
		uint32_t v;
		memcpy(&v, bus.mem + 0x100 - 4 * i, 4);
		assert_int_equal(ordinary[7 - i], v);
	}
	assert_int_equal(ordinary[2], 0);
	assert_int_equal(c.gpr[EMU_RCX], 0);
	assert_int_equal(c.gpr[EMU_RSI], WIN + 0x100 - 20);
	assert_int_equal(c.gpr[EMU_RDI], (uint64_t)(uintptr_t)&ordinary[2]);
}

/* ---- the zmm bits through a real fault ------------------------------------ */

static uint8_t *page;          /* PROT_NONE while a test faults on it */
static uint8_t page_bytes[4096];

static int page_read(void *ctx, uint64_t addr, unsigned width, void *out)
{
	(void)ctx;
	memcpy(out, page_bytes + (addr - (uint64_t)(uintptr_t)page), width);
	return 0;
}

static int page_write(void *ctx, uint64_t addr, unsigned width, const void *in)
{
	(void)ctx;
	memcpy(page_bytes + (addr - (uint64_t)(uintptr_t)page), in, width);
	return 0;
}

static const struct emu_bus page_bus = { page_read, page_write, NULL, NULL };
static volatile int handler_err;

static void on_segv(int signo, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct emu_cpu c;
	struct emu_plan plan;
	struct emu_window w = { (uint64_t)(uintptr_t)page, (uint64_t)(uintptr_t)page + 4096 };
	struct emu_fault f = { (uint64_t)(uintptr_t)si->si_addr, -1 };
	(void)signo;
	emu_cpu_from_ucontext(uc, &c);
	const uint8_t *code = (const uint8_t *)(uintptr_t)c.rip;
	size_t n = 15;
	uint64_t addr = c.rip;
	bool decoded = cs_disasm_iter(cs, &code, &n, &addr, insn);
	if (!decoded ||
	    (handler_err = emu_decode(insn, &c, &w, &f, &plan)) ||
	    (handler_err = emu_execute(&plan, &c, &page_bus)) ||
	    (handler_err = emu_cpu_to_ucontext(&c, uc))) {
		if (!handler_err)
			handler_err = -EILSEQ;
		uc->uc_mcontext.gregs[REG_RIP] += decoded ? insn->size : 4;
	}
}

/* zmm1 all ones, then a 16-byte load into xmm1 (VEX or legacy), then zmm1
 * stored to OUT. */
static void load_over_ones(const void *from, bool vex, uint64_t out[8])
{
	if (vex)
		__asm__ volatile("vpternlogd $0xff, %%zmm1, %%zmm1, %%zmm1\n\t"
				 "vmovdqu (%0), %%xmm1\n\t"   /* c5 fa 6f 08: 4 bytes */
				 "vmovdqu64 %%zmm1, (%1)\n\t"
				 "vzeroupper"
				 :: "r"(from), "r"(out) : "xmm1", "memory");
	else
		__asm__ volatile("vpternlogd $0xff, %%zmm1, %%zmm1, %%zmm1\n\t"
				 "movdqu (%0), %%xmm1\n\t"    /* f3 0f 6f 08: 4 bytes */
				 "vmovdqu64 %%zmm1, (%1)\n\t"
				 "vzeroupper"
				 :: "r"(from), "r"(out) : "xmm1", "memory");
}

static bool have_avx512f(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_AVX512F))
		return false;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 0xe6) == 0xe6;   /* sse, avx, opmask, zmm_hi256, hi16_zmm */
}

static void vex_loads_through_a_fault_clear_the_zmm_bits_legacy_loads_keep(void **state)
{
	(void)state;
	if (!have_avx512f())
		skip();   /* no zmm state on this machine */
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	for (unsigned i = 0; i < 4096; i++)
		page[i] = page_bytes[i] = (uint8_t)(i * 13 + 1);

	for (int vex = 0; vex < 2; vex++) {
		uint64_t native[8], emulated[8];
		mprotect(page, 4096, PROT_READ | PROT_WRITE);
		load_over_ones(page + 0x40, vex, native);
		mprotect(page, 4096, PROT_NONE);
		handler_err = 0;
		load_over_ones(page + 0x40, vex, emulated);
		assert_int_equal(handler_err, 0);
		assert_memory_equal(native, emulated, sizeof native);
		assert_memory_equal(emulated, page_bytes + 0x40, 16);
		for (unsigned q = 2; q < 8; q++)
			assert_int_equal(emulated[q], vex ? 0 : ~0ull);
	}
	sigaction(SIGSEGV, &old, NULL);
	munmap(page, 4096);
}

/* ---- cost ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Median over 11 batches of 10,000 of one mov through Capstone (detail on),
 * emu_decode and emu_execute; with DECODE false, only the last two. */
static double mov_cost(const uint8_t *bytes, size_t len, bool with_capstone)
{
	double batch[11];
	struct emu_plan plan;
	const uint8_t *code = bytes;
	size_t n = len;
	uint64_t addr = RIP;
	assert_true(cs_disasm_iter(cs, &code, &n, &addr, insn));
	for (unsigned b = 0; b < 11; b++) {
		double t0 = now_ns();
		for (unsigned i = 0; i < 10000; i++) {
			struct emu_cpu c = cpu_at(WIN + 0x20 + (i & 0xff));
			if (with_capstone) {
				code = bytes;
				n = len;
				addr = RIP;
				cs_disasm_iter(cs, &code, &n, &addr, insn);
			}
			emu_decode(insn, &c, &window, NULL, &plan);
			emu_execute(&plan, &c, &the_bus);
		}
		batch[b] = (now_ns() - t0) / 10000;
	}
	qsort(batch, 11, sizeof batch[0], cmp_double);
	return batch[5];
}

static void emulating_a_mov_takes_well_under_a_microsecond(void **state)
{
	(void)state;
	reset_bus();
	double load = mov_cost(BYTES(0x8b, 0x03), true);
	double store = mov_cost(BYTES(0x89, 0x03), true);
	double load_only = mov_cost(BYTES(0x8b, 0x03), false);
	double store_only = mov_cost(BYTES(0x89, 0x03), false);
	printf("mov eax, [rbx]: %.0f ns (Capstone decode included), %.0f ns emulation alone\n",
	       load, load_only);
	printf("mov [rbx], eax: %.0f ns (Capstone decode included), %.0f ns emulation alone\n",
	       store, store_only);
#ifdef PF_TEST_THREAD_SANITIZER
	print_message("skipped: no bar on time under ThreadSanitizer\n");
	skip();
#endif
	/* The bar is the emulator's; Capstone's decode is the caller's, and
	 * the caller can cache it per rip. */
	assert_true(load_only < 1000);
	assert_true(store_only < 1000);
}

static void emulation_allocates_nothing(void **state)
{
	(void)state;
#ifdef PF_TEST_SANITIZER_OWNS_MALLOC
	print_message("skipped: the sanitizer this test was built with owns malloc\n");
	skip();
#endif
	static const uint8_t forms[][4] = {
		{ 0x8b, 0x03 }, { 0x89, 0x03 }, { 0xf0, 0x01, 0x03 }, { 0xc5, 0xfe, 0x6f, 0x03 },
		{ 0xf3, 0xab }, { 0x0f, 0xab, 0x0b },
	};
	reset_bus();
	/* Capstone's first decode builds its tables: let it happen first. */
	for (unsigned f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		struct emu_cpu c = cpu_at(WIN);
		struct emu_plan plan;
		decode(forms[f], 4, &c, NULL, &plan);
	}
	long before = allocations;
	for (unsigned i = 0; i < 1000; i++)
		for (unsigned f = 0; f < sizeof forms / sizeof forms[0]; f++) {
			struct emu_cpu c = cpu_at(WIN + 0x40);
			struct emu_plan plan;
			c.gpr[EMU_RDI] = WIN + 0x80;
			c.gpr[EMU_RCX] = 4;
			decode(forms[f], 4, &c, NULL, &plan);
			emu_execute(&plan, &c, &the_bus);
		}
	assert_int_equal(allocations - before, 0);
}

static int setup(void **state)
{
	(void)state;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	emu_init();
	return insn ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(instructions_outside_the_list_are_refused),
		cmocka_unit_test(prefixes_and_registers_it_cannot_take_are_refused),
		cmocka_unit_test(segment_prefixes_with_base_zero_are_accepted),
		cmocka_unit_test(accesses_crossing_the_window_end_are_refused),
		cmocka_unit_test(a_bit_offset_reaching_outside_the_window_is_refused),
		cmocka_unit_test(an_access_that_did_not_fault_is_refused),
		cmocka_unit_test(port_io_is_decoded_but_not_executed),
		cmocka_unit_test(port_io_is_carried_out_exactly),
		cmocka_unit_test(a_failed_load_yields_all_ones),
		cmocka_unit_test(a_failed_store_is_dropped),
		cmocka_unit_test(a_failed_atomic_access_completes_as_after_a_failed_read),
		cmocka_unit_test(each_form_makes_the_accesses_it_should),
		cmocka_unit_test(a_failing_cmpxchg_writes_nothing_back),
		cmocka_unit_test(rep_movs_makes_one_access_per_element_in_order),
		cmocka_unit_test(vex_loads_through_a_fault_clear_the_zmm_bits_legacy_loads_keep),
		cmocka_unit_test(emulation_allocates_nothing),
		cmocka_unit_test(emulating_a_mov_takes_well_under_a_microsecond),
	};
	return cmocka_run_group_tests_name("window emulation cases", tests, setup, NULL);
}
