/* Windows: loads and stores that are calls to the process offering the
 * window, with the same identity, queue, timeouts, errors and crash
 * containment as calls; windows as capabilities; windows of I/O ports.
 *
 * The main thread is the driver process "drv". The devices are windows
 * over a plain memory model that logs every access (which, where, how
 * wide, for whom, on which thread), offered by process "dev". */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>
#include "../common.h"
#include "probe.h"

#define PAGE 4096u

/* ---- the device model ----------------------------------------------------- */

struct access {
	char op;             /* 'R' read, 'W' write, 'U' update */
	unsigned width;
	uint64_t offset;
	pf_process *caller;
	pid_t tid;
};

struct model {
	uint8_t mem[2 * PAGE];
	struct access log[512];
	_Atomic unsigned n;
	/* Accesses the owner has finished (release): an access whose accessor
	 * gave up goes on there, and the test waits for it (await_owner)
	 * before it looks at the model or resets it. */
	_Atomic unsigned done;
	/* Set by the test, read by the owner: volatile, so that the compiler
	 * keeps them in order with the window accesses around them. */
	volatile int read_error, write_error;   /* what the functions return */
	volatile unsigned delay_ms;             /* how long each access takes */
	volatile bool crash;                    /* the read function crashes */
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void note(struct model *m, char op, unsigned width, uint64_t offset)
{
	unsigned i = atomic_fetch_add(&m->n, 1);
	if (i < sizeof m->log / sizeof m->log[0])
		m->log[i] = (struct access){ op, width, offset, pf_caller(), gettid() };
}

static int finished(struct model *m, int rc)
{
	atomic_fetch_add_explicit(&m->done, 1, memory_order_release);
	return rc;
}

static long *volatile wild = (long *)16;

static int model_read(void *ctx, uint64_t offset, unsigned width, void *value)
{
	struct model *m = ctx;
	note(m, 'R', width, offset);
	if (m->crash)
		*wild = 1;
	sleep_ms(m->delay_ms);
	if (m->read_error)
		return finished(m, m->read_error);
	memcpy(value, m->mem + offset, width);
	return finished(m, 0);
}

static int model_write(void *ctx, uint64_t offset, unsigned width, const void *value)
{
	struct model *m = ctx;
	note(m, 'W', width, offset);
	sleep_ms(m->delay_ms);
	if (m->write_error)
		return finished(m, m->write_error);
	memcpy(m->mem + offset, value, width);
	return finished(m, 0);
}

static int model_update(void *ctx, uint64_t offset, unsigned width, pf_window_step_fn step,
			void *arg)
{
	struct model *m = ctx;
	note(m, 'U', width, offset);
	sleep_ms(m->delay_ms);
	uint8_t v[32];
	memcpy(v, m->mem + offset, width);
	if (step(arg, v))
		memcpy(m->mem + offset, v, width);
	return finished(m, 0);
}

static const pf_window_ops plain_ops = { model_read, model_write, NULL };
static const pf_window_ops update_ops = { model_read, model_write, model_update };

static struct model mem_model, mig_model, upd_model, slow_model, err_model, nest_model,
	port_model, kbd_model, priv_model;

static void reset(struct model *m)
{
	memset(m, 0, sizeof *m);
}

/* ---- processes ------------------------------------------------------------ */

static pf_process *drv, *dev;

/* The nesting window's read reads the plain window through dev's own
 * mapping of it: a window's function may access a window itself. */
static volatile uint32_t *dev_view;

static int nest_read(void *ctx, uint64_t offset, unsigned width, void *value)
{
	struct model *m = ctx;
	note(m, 'R', width, offset);
	uint32_t v = dev_view[offset / 4] + 1;
	memcpy(value, &v, width < 4 ? width : 4);
	return pf_errno();
}

static const pf_window_ops nest_ops = { nest_read, NULL, NULL };

static int dev_init(void *arg)
{
	(void)arg;
	void *view;
	int rc = 0;
	rc = rc ? rc : pf_window_create("dev.mem", 2, &plain_ops, &mem_model, 0);
	rc = rc ? rc : pf_window_create("dev.mig", 1, &plain_ops, &mig_model, PF_EXPORT_MIGRATE);
	rc = rc ? rc : pf_window_create("dev.upd", 1, &update_ops, &upd_model, 0);
	rc = rc ? rc : pf_window_create("dev.slow", 1, &plain_ops, &slow_model, 0);
	rc = rc ? rc : pf_window_create("dev.err", 1, &plain_ops, &err_model, 0);
	rc = rc ? rc : pf_window_create("dev.nest", 1, &nest_ops, &nest_model, 0);
	rc = rc ? rc : pf_window_create("dev.priv", 1, &plain_ops, &priv_model, PF_EXPORT_PRIVATE);
	rc = rc ? rc : pf_port_create("dev.uart", 0x3f8, 8, &plain_ops, &port_model, 0);
	rc = rc ? rc : pf_port_create("dev.kbd", 0x60, 5, &plain_ops, &kbd_model, 0);
	rc = rc ? rc : pf_window_map("dev.mem", 0, &view);
	dev_view = view;
	return rc;
}

static long add(long a, long b) { return a + b; }

static int fn_init(void *arg)
{
	(void)arg;
	return pf_export("fn.add", (void *)add, 0, 0);
}

static int fn_none(void *arg)
{
	(void)arg;
	return 0;
}

/* Run FN(ARG) on a thread of process P (pf_thread_attach), and wait. */
struct as_job {
	pf_process *p;
	void (*fn)(void *);
	void *arg;
};

static void *as_thread(void *arg)
{
	struct as_job *j = arg;
	if (pf_thread_attach(j->p) != 0)
		return (void *)1;
	j->fn(j->arg);
	pf_thread_detach();
	return NULL;
}

static void run_as(pf_process *p, void (*fn)(void *), void *arg)
{
	struct as_job j = { p, fn, arg };
	pthread_t t;
	void *ret;
	assert_int_equal(pthread_create(&t, NULL, as_thread, &j), 0);
	pthread_join(t, &ret);
	assert_null(ret);
}

static void *map(const char *name, unsigned flags)
{
	void *p = NULL;
	int rc = pf_window_map(name, flags, &p);
	if (rc)
		fail_msg("pf_window_map(%s): %d", name, rc);
	return p;
}

static int group_setup(void **state)
{
	(void)state;
	pf_process *fn;
	if (pf_process_join_self(&drv, "drv") != 0 ||
	    pf_process_create(&dev, "dev", NULL, dev_init, NULL) != 0 ||
	    pf_process_create(&fn, "fn", NULL, fn_init, NULL) != 0)
		return -1;
	return 0;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Wait until the owner has finished N accesses to M: after one whose
 * accessor timed out, only this orders what the owner still does to M
 * before what the test does next (a sleep would not). */
static void await_owner(struct model *m, unsigned n)
{
	double t0 = now_ms();
	while (atomic_load_explicit(&m->done, memory_order_acquire) < n) {
		if (now_ms() - t0 > 10000)
			fail_msg("the owner did not finish %u accesses in 10 s", n);
		sleep_ms(1);
	}
}

/* ---- loads and stores ------------------------------------------------------ */

/* A device's registers, as a driver declares them. */
struct regs {
	uint8_t status;
	uint8_t pad;
	uint16_t divisor;
	uint32_t control;
	uint64_t counter;
	int32_t level;
};

static void a_load_returns_the_owners_bytes(void **state)
{
	(void)state;
	reset(&mem_model);
	volatile struct regs *r = map("dev.mem", 0);
	mem_model.mem[0] = 0x5a;
	uint16_t div = 0xbeef;
	uint32_t ctl = 0x12345678;
	uint64_t cnt = 0x0123456789abcdefull;
	int32_t lvl = -7;
	memcpy(mem_model.mem + 2, &div, 2);
	memcpy(mem_model.mem + 4, &ctl, 4);
	memcpy(mem_model.mem + 8, &cnt, 8);
	memcpy(mem_model.mem + 16, &lvl, 4);
	assert_int_equal(r->status, 0x5a);
	assert_int_equal(r->divisor, 0xbeef);
	assert_int_equal(r->control, 0x12345678);
	assert_true(r->counter == 0x0123456789abcdefull);
	assert_int_equal(r->level, -7);
	assert_int_equal(pf_errno(), 0);
	assert_int_equal(mem_model.n, 5);
	static const struct { unsigned width; uint64_t offset; } want[] = {
		{ 1, 0 }, { 2, 2 }, { 4, 4 }, { 8, 8 }, { 4, 16 } };
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(mem_model.log[i].op, 'R');
		assert_int_equal(mem_model.log[i].width, want[i].width);
		assert_int_equal(mem_model.log[i].offset, want[i].offset);
		assert_ptr_equal(mem_model.log[i].caller, drv);   /* pf_caller() */
	}
	pf_window_unmap((void *)r);
}

static void stores_reach_the_owner_in_order(void **state)
{
	(void)state;
	reset(&mem_model);
	volatile struct regs *r = map("dev.mem", 0);
	r->control = 1;
	r->status = 2;
	r->counter = 3;
	r->control = 4;
	assert_int_equal(pf_errno(), 0);
	assert_int_equal(mem_model.n, 4);
	const char *ops = "WWWW";
	const uint64_t offsets[] = { 4, 0, 8, 4 };
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(mem_model.log[i].op, ops[i]);
		assert_int_equal(mem_model.log[i].offset, offsets[i]);
	}
	uint32_t ctl;
	memcpy(&ctl, mem_model.mem + 4, 4);
	assert_int_equal(ctl, 4);
	assert_int_equal(mem_model.mem[0], 2);
	pf_window_unmap((void *)r);
}

static void the_owner_serves_on_its_thread_a_migrating_window_on_the_accessors(void **state)
{
	(void)state;
	reset(&mem_model);
	reset(&mig_model);
	volatile uint32_t *a = map("dev.mem", 0), *b = map("dev.mig", 0);
	a[0] = 1;
	b[0] = 1;
	assert_int_equal(mem_model.n, 1);
	assert_int_equal(mig_model.n, 1);
	assert_int_not_equal(mem_model.log[0].tid, gettid());
	assert_int_equal(mig_model.log[0].tid, gettid());
	assert_ptr_equal(mig_model.log[0].caller, drv);
	pf_window_unmap((void *)a);
	pf_window_unmap((void *)b);
}

static void or_on_a_register_is_one_read_then_one_write(void **state)
{
	(void)state;
	reset(&mem_model);
	volatile uint32_t *r = map("dev.mem", 0);
	mem_model.mem[8] = 0x01;
	__asm__ volatile("orl $0x10, (%0)" :: "r"(r + 2) : "memory", "cc");
	assert_int_equal(mem_model.n, 2);
	assert_int_equal(mem_model.log[0].op, 'R');
	assert_int_equal(mem_model.log[1].op, 'W');
	assert_int_equal(mem_model.log[1].offset, 8);
	assert_int_equal(mem_model.mem[8], 0x11);
	pf_window_unmap((void *)r);
}

/* lock add: one update, through the owner's update function when it has
 * one, else pfipc's read, step, write, nothing between them. */
static void a_locked_add_is_one_atomic_update(void **state)
{
	(void)state;
	reset(&upd_model);
	reset(&mem_model);
	volatile uint32_t *u = map("dev.upd", 0), *p = map("dev.mem", 0);
	upd_model.mem[0] = 5;
	mem_model.mem[0] = 5;
	__asm__ volatile("lock addl $3, (%0)" :: "r"(u) : "memory", "cc");
	__asm__ volatile("lock addl $3, (%0)" :: "r"(p) : "memory", "cc");
	assert_int_equal(upd_model.n, 1);
	assert_int_equal(upd_model.log[0].op, 'U');
	assert_int_equal(upd_model.mem[0], 8);
	assert_int_equal(mem_model.n, 2);
	assert_int_equal(mem_model.log[0].op, 'R');
	assert_int_equal(mem_model.log[1].op, 'W');
	assert_int_equal(mem_model.mem[0], 8);
	/* xchg: atomic without a prefix; the old value comes back. */
	uint32_t v = 77;
	__asm__ volatile("xchg %0, (%1)" : "+r"(v) : "r"(u) : "memory");
	assert_int_equal(v, 8);
	assert_int_equal(upd_model.mem[0], 77);
	assert_int_equal(upd_model.log[1].op, 'U');
	pf_window_unmap((void *)u);
	pf_window_unmap((void *)p);
}

static void a_failing_cmpxchg_writes_nothing_and_loads_the_value(void **state)
{
	(void)state;
	reset(&upd_model);
	volatile uint32_t *u = map("dev.upd", 0);
	upd_model.mem[4] = 9;
	uint32_t expected = 1;
	bool swapped;
	__asm__ volatile("lock cmpxchgl %3, (%2)" : "+a"(expected), "=@ccz"(swapped)
			 : "r"(u + 1), "r"(2u) : "memory");
	assert_false(swapped);
	assert_int_equal(expected, 9);
	assert_int_equal(upd_model.mem[4], 9);
	__asm__ volatile("lock cmpxchgl %3, (%2)" : "+a"(expected), "=@ccz"(swapped)
			 : "r"(u + 1), "r"(2u) : "memory");
	assert_true(swapped);
	assert_int_equal(upd_model.mem[4], 2);
	pf_window_unmap((void *)u);
}

static bool cpu_has(unsigned leaf, unsigned reg, unsigned bit)
{
	unsigned r[4];
	if (!__get_cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3]))
		return false;
	return r[reg] & bit;
}

static bool os_saves(unsigned mask)
{
	if (!cpu_has(1, 2, bit_OSXSAVE))
		return false;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & mask) == mask;
}

static void vector_moves_are_one_access_of_their_width(void **state)
{
	(void)state;
	reset(&mem_model);
	uint8_t *w = map("dev.mem", 0);
	for (unsigned i = 0; i < 64; i++)
		mem_model.mem[64 + i] = (uint8_t)i;
	uint8_t out[32];
	__asm__ volatile("movdqu (%1), %%xmm3\n\tmovdqu %%xmm3, (%0)"
			 :: "r"(out), "r"(w + 64) : "xmm3", "memory");
	assert_int_equal(mem_model.n, 1);
	assert_int_equal(mem_model.log[0].width, 16);
	assert_memory_equal(out, mem_model.mem + 64, 16);
	if (cpu_has(1, 2, bit_AVX) && os_saves(6)) {
		__asm__ volatile("vmovdqu (%1), %%ymm5\n\tvmovdqu %%ymm5, (%0)\n\tvzeroupper"
				 :: "r"(out), "r"(w + 64) : "xmm5", "memory");
		assert_int_equal(mem_model.n, 2);
		assert_int_equal(mem_model.log[1].width, 32);
		assert_memory_equal(out, mem_model.mem + 64, 32);
	}
	pf_window_unmap(w);
}

static void rep_movs_copies_256_bytes_in_and_out(void **state)
{
	(void)state;
	reset(&mem_model);
	uint8_t *w = map("dev.mem", 0);
	uint8_t in[256], out[256];
	for (unsigned i = 0; i < 256; i++)
		in[i] = (uint8_t)(i * 7);
	void *d = w + 512, *s = in;
	size_t n = 256;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
	assert_int_equal(n, 0);
	assert_ptr_equal(d, w + 768);
	assert_memory_equal(mem_model.mem + 512, in, 256);
	assert_int_equal(mem_model.n, 256);
	d = out;
	s = w + 512;
	n = 32;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
	assert_memory_equal(out, in, 256);
	assert_int_equal(mem_model.n, 256 + 32);
	assert_int_equal(mem_model.log[256].width, 8);
	pf_window_unmap(w);
}

/* Everything the instruction does not write comes back exactly: the
 * general registers, the flags, the x87 stack and control word, MXCSR,
 * and (when the machine has them) AVX-512's zmm16 and k1, which the
 * emulation never touches but the code that waits for the owner may. */
static void a_load_changes_only_its_destination(void **state)
{
	(void)state;
	reset(&mem_model);
	uint8_t *w = map("dev.mem", 0);
	mem_model.mem[0x31] = 0x42;
	struct probe p;
	memset(&p, 0, sizeof p);
	for (unsigned i = 0; i < 16; i++)
		p.gpr_in[i] = 0x0101010101010101ull * (i + 1) ^ 0x8000000000000000ull;
	p.addr = (uint64_t)(uintptr_t)(w + 0x31);
	p.flags_in = 0x2 | 0x1 | 0x4 | 0x80 | 0x400 | 0x800;   /* CF PF SF DF OF */
	p.fcw_in = 0x0c7f;            /* round toward zero, 64-bit precision */
	p.mxcsr_in = 0x1f80 | 0x6000; /* round toward zero */
	p.st_in = 1.25L;
	p.avx512 = cpu_has(7, 1, bit_AVX512F) && os_saves(0xe6);
	for (unsigned i = 0; i < 64; i++)
		p.zmm_in[i] = (uint8_t)(0xa0 + i);
	p.k1_in = 0x5555aaaa5555aaaaull;
	probe_load8(&p);
	assert_int_equal(pf_errno(), 0);
	assert_int_equal(p.gpr_out[0], (p.addr & ~0xffull) | 0x42);   /* al only */
	for (unsigned i = 1; i < 16; i++)
		if (i != 4 && p.gpr_out[i] != p.gpr_in[i])
			fail_msg("register %u: %#llx became %#llx", i, (unsigned long long)p.gpr_in[i],
				 (unsigned long long)p.gpr_out[i]);
	assert_int_equal(p.flags_out & 0xcd5, p.flags_in & 0xcd5);
	assert_int_equal(p.fcw_out, p.fcw_in);
	assert_int_equal(p.mxcsr_out, p.mxcsr_in);
	assert_true(p.st_out == p.st_in);
	if (p.avx512) {
		assert_memory_equal(p.zmm_out, p.zmm_in, 64);
		assert_true(p.k1_out == p.k1_in);
	}
	assert_int_equal(mem_model.n, 1);
	pf_window_unmap(w);
}

/* A window's function may access windows itself (dev.nest reads dev.mem
 * through dev's own mapping): the owner's thread, waiting for that
 * access, serves it. */
static void a_windows_function_may_access_a_window(void **state)
{
	(void)state;
	reset(&mem_model);
	reset(&nest_model);
	volatile uint32_t *n = map("dev.nest", 0);
	uint32_t v = 41;
	memcpy(mem_model.mem + 8, &v, 4);
	assert_int_equal(n[2], 42);
	assert_int_equal(pf_errno(), 0);
	assert_int_equal(mem_model.n, 1);
	assert_ptr_equal(mem_model.log[0].caller, dev);   /* the nested access's caller */
	assert_ptr_equal(nest_model.log[0].caller, drv);
	pf_window_unmap((void *)n);
}

/* ---- posted writes and timeouts ------------------------------------------- */

static void a_posted_store_does_not_wait_and_a_later_load_sees_it(void **state)
{
	(void)state;
	reset(&slow_model);
	slow_model.delay_ms = 100;
	volatile uint32_t *waited = map("dev.slow", 0), *posted = map("dev.slow", PF_WINDOW_POSTED);
	double t0 = now_ms();
	posted[1] = 7;
	double t1 = now_ms();
	assert_true(t1 - t0 < 90);
	assert_int_equal(pf_errno(), 0);
	assert_int_equal(posted[1], 7);   /* a load waits, behind the store */
	assert_true(now_ms() - t0 >= 190);
	t0 = now_ms();
	waited[2] = 8;
	assert_true(now_ms() - t0 >= 90);
	assert_int_equal(slow_model.mem[8], 8);
	pf_window_unmap((void *)waited);
	pf_window_unmap((void *)posted);
	slow_model.delay_ms = 0;
}

static void an_access_that_times_out_reads_all_ones(void **state)
{
	(void)state;
	reset(&slow_model);
	slow_model.delay_ms = 300;
	volatile uint32_t *r = map("dev.slow", 0);
	assert_int_equal(pf_window_set_timeout((void *)r, 20 * 1000000), 0);
	double t0 = now_ms();
	uint32_t v = r[0];
	assert_true(now_ms() - t0 < 250);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pf_errno(), -ETIMEDOUT);
	assert_non_null(strstr(pf_error_message(), "read of 4 bytes at offset 0 of window \"dev.slow\""));
	assert_int_equal(pf_window_set_timeout((void *)r, -1), -EINVAL);
	assert_int_equal(pf_window_set_timeout((void *)(r + 1), 0), -EINVAL);
	pf_window_unmap((void *)r);
	await_owner(&slow_model, 1);   /* the access it was given */
	assert_int_equal(slow_model.n, 1);
	slow_model.delay_ms = 0;
}

/* An atomic access whose accessor gave up (a timeout) must not run the
 * instruction's step when the owner comes to it: the accessor's registers
 * it would write are gone. The owner finds out, and writes nothing. */
static void an_atomic_access_that_timed_out_changes_nothing_later(void **state)
{
	(void)state;
	reset(&upd_model);
	upd_model.delay_ms = 200;
	upd_model.mem[0] = 5;
	volatile uint32_t *u = map("dev.upd", 0);
	assert_int_equal(pf_window_set_timeout((void *)u, 20 * 1000000), 0);
	uint32_t v = 7;
	__asm__ volatile("xchg %0, (%1)" : "+r"(v) : "r"(u) : "memory");
	assert_int_equal(pf_errno(), -ETIMEDOUT);
	assert_int_equal(v, 0xffffffff);   /* as after a failed read */
	await_owner(&upd_model, 1);         /* the owner has come to it */
	upd_model.delay_ms = 0;
	assert_int_equal(upd_model.n, 1);
	assert_int_equal(upd_model.mem[0], 5);
	pf_window_unmap((void *)u);
}

/* ---- failures a load cannot return --------------------------------------- */

static void the_owners_error_fails_the_access(void **state)
{
	(void)state;
	reset(&err_model);
	err_model.read_error = -EIO;
	err_model.write_error = -EACCES;
	volatile uint64_t *r = map("dev.err", 0);
	assert_true(r[3] == ~0ull);
	assert_int_equal(pf_errno(), -EIO);
	r[3] = 5;
	assert_int_equal(pf_errno(), -EACCES);
	err_model.read_error = 0;
	assert_true(r[3] == 0);   /* the store was dropped */
	assert_int_equal(pf_errno(), 0);
	pf_window_unmap((void *)r);
}

static int gone_init(void *arg)
{
	return pf_window_create("gone.win", 1, &plain_ops, arg, 0);
}

static void a_stopped_owner_reads_all_ones_and_drops_stores(void **state)
{
	(void)state;
	static struct model gone_model;
	pf_process *gone;
	assert_int_equal(pf_process_create(&gone, "gone", NULL, gone_init, &gone_model), 0);
	volatile uint16_t *r = map("gone.win", 0);
	r[0] = 0x1234;
	assert_int_equal(r[0], 0x1234);
	stop_server(gone);
	assert_int_equal(r[0], 0xffff);
	assert_int_equal(pf_errno(), -ESRCH);
	r[0] = 1;
	assert_int_equal(pf_errno(), -ESRCH);
	assert_int_equal(gone_model.n, 2);   /* nothing reached it after */
	pf_window_unmap((void *)r);
}

static struct model crash_model;

static int crash_init(void *arg)
{
	(void)arg;
	return pf_window_create("crash.win", 1, &plain_ops, &crash_model, 0);
}

static void a_crash_in_the_read_function_is_the_owners_alone(void **state)
{
	(void)state;
	reset(&crash_model);
	pf_process *c;
	pf_process_options opts = { .size = sizeof opts, .restart = PF_RESTART_ALWAYS };
	assert_int_equal(pf_process_create(&c, "crash", &opts, crash_init, NULL), 0);
	volatile uint32_t *r = map("crash.win", 0);
	crash_model.crash = true;
	assert_int_equal(r[1], 0xffffffff);
	assert_int_equal(pf_errno(), -EOWNERDEAD);
	assert_int_equal(pf_process_crashes(c), 1);
	crash_model.crash = false;
	/* It restarts and offers its window again: the mapping reaches it. */
	uint32_t v = 0xffffffff;
	for (unsigned i = 0; i < 200 && v != 0; i++) {
		v = r[1];
		if (v)
			sleep_ms(5);
	}
	assert_int_equal(v, 0);
	assert_int_equal(pf_errno(), 0);
	pf_window_unmap((void *)r);
	stop_server(c);
}

/* Each incarnation of process "again" offers its window over a model of
 * its own, whose first word says which incarnation it is. */
static struct model again_models[3];
static _Atomic unsigned again_incarnation;

static int again_init(void *arg)
{
	(void)arg;
	unsigned k = atomic_fetch_add(&again_incarnation, 1);
	if (k >= sizeof again_models / sizeof again_models[0])
		return -ENOSPC;
	struct model *m = &again_models[k];
	uint32_t mark = k + 1;
	memcpy(m->mem, &mark, sizeof mark);
	return pf_window_create("again.win", 1, &plain_ops, m, 0);
}

/* While the owner restarts and offers its window again (with another
 * context), the accessor keeps accessing it: each access fails, or
 * reaches one incarnation whole; once restarted, the new one. Under
 * ThreadSanitizer this shows a record rewritten under readers. */
static void a_window_offered_again_on_restart_reaches_the_new_incarnation(void **state)
{
	(void)state;
	pf_process *c;
	pf_process_options opts = { .size = sizeof opts, .restart = PF_RESTART_ALWAYS };
	assert_int_equal(pf_process_create(&c, "again", &opts, again_init, NULL), 0);
	volatile uint32_t *r = map("again.win", 0);
	for (unsigned k = 0; k < 2; k++) {
		assert_int_equal(r[0], k + 1);
		assert_int_equal(pf_errno(), 0);
		again_models[k].crash = true;
		assert_int_equal(r[1], 0xffffffff);
		assert_int_equal(pf_errno(), -EOWNERDEAD);
		/* No pause: the accesses meet the restart. */
		uint32_t v = 0xffffffff;
		double t0 = now_ms();
		while (v == 0xffffffff && now_ms() - t0 < 5000) {
			v = r[0];
			if (v == 0xffffffff)
				assert_true(pf_errno() == -EOWNERDEAD || pf_errno() == -ESRCH);
		}
		assert_int_equal(v, k + 2);
		assert_int_equal(pf_errno(), 0);
	}
	assert_int_equal(pf_process_crashes(c), 2);
	pf_window_unmap((void *)r);
	stop_server(c);
}

/* ---- names, mappings, errors ------------------------------------------- */

static int late_init(void *arg)
{
	return pf_window_create("late.win", 1, &plain_ops, arg, 0);
}

static void a_window_is_mapped_and_a_function_called_never_the_other_way(void **state)
{
	(void)state;
	pf_import *imp;
	void *p;
	assert_int_equal(pf_import_create(&imp, "dev.mem", 0), -ENOENT);
	assert_int_equal(pf_import_create(&imp, "dev.mem", PF_IMPORT_LAZY), -ENOENT);
	assert_int_equal(pf_window_map("fn.add", 0, &p), -ENOENT);
	assert_int_equal(pf_port_map("dev.mem", 0), -ENOENT);
	assert_int_equal(pf_window_map("dev.uart", 0, &p), -ENOENT);
	/* A lazy import of a name that later becomes a window fails its call
	 * with one line's worth of reason, and nothing runs. */
	static struct model late_model;
	pf_process *late;
	assert_int_equal(pf_import_create(&imp, "late.win", PF_IMPORT_LAZY), 0);
	assert_int_equal(pf_process_create(&late, "late", NULL, late_init, &late_model), 0);
	long r = PF_GATE(long(long, long), imp)(1, 2);
	assert_int_equal(r, 0);
	assert_int_equal(pf_errno(), -EINVAL);
	assert_non_null(strstr(pf_error_message(), "is a window"));
	assert_int_equal(late_model.n, 0);
	stop_server(late);
}

/* pf_window_create acts for the calling thread's process. */
static void create_checks(void *arg)
{
	(void)arg;
	pf_window_ops none = { 0 };
	assert_int_equal(pf_window_create("dev.w", 0, &plain_ops, NULL, 0), -EINVAL);
	assert_int_equal(pf_window_create("dev.w", 257, &plain_ops, NULL, 0), -EINVAL);
	assert_int_equal(pf_window_create("dev.w", 1, NULL, NULL, 0), -EINVAL);
	assert_int_equal(pf_window_create("dev.w", 1, &none, NULL, 0), -EINVAL);
	assert_int_equal(pf_window_create("dev.w", 1, &plain_ops, NULL, 1u << 5), -EINVAL);
	assert_int_equal(pf_window_create("dev.w", 1, &plain_ops, NULL, PF_EXPORT_REENTRANT),
			 -EINVAL);
	assert_int_equal(pf_window_create("bad name", 1, &plain_ops, NULL, 0), -EINVAL);
	assert_int_equal(pf_window_create("dev.mem", 1, &plain_ops, NULL, 0), -EEXIST);
	assert_string_equal(pf_error_message(),
			    "pf_window_create: \"dev.mem\" is exported already, by process dev (this one)");
	assert_int_equal(pf_window_create("fn.w", 1, &plain_ops, NULL, 0), -EEXIST);
	assert_int_equal(pf_port_create("dev.p", 0xfff0, 0x11, &plain_ops, NULL, 0), -EINVAL);
	assert_int_equal(pf_port_create("dev.p", 0, 0, &plain_ops, NULL, 0), -EINVAL);
	assert_int_equal(pf_port_create("dev.p", 0x10000, 1, &plain_ops, NULL, 0), -EINVAL);
}

static void creating_and_mapping_check_their_arguments(void **state)
{
	(void)state;
	void *p;
	run_as(dev, create_checks, NULL);
	assert_int_equal(pf_window_map(NULL, 0, &p), -EINVAL);
	assert_int_equal(pf_window_map("dev.mem", 2, &p), -EINVAL);
	assert_int_equal(pf_window_map("dev.mem", 0, NULL), -EINVAL);
	assert_int_equal(pf_window_map("no.such", 0, &p), -ENOENT);
	assert_string_equal(pf_error_message(), "pf_window_map: no process offers a window \"no.such\"");
	assert_int_equal(pf_window_map("fn.add", 0, &p), -ENOENT);
	assert_non_null(strstr(pf_error_message(), "(a function of that name is exported)"));
	assert_int_equal(pf_window_unmap(&p), -EINVAL);
	/* Sixteen mappings a process; a slot is reused after unmapping. */
	void *m[16];
	for (unsigned i = 0; i < 16; i++)
		m[i] = map("dev.mem", 0);
	assert_int_equal(pf_window_map("dev.mem", 0, &p), -ENOSPC);
	assert_string_equal(pf_error_message(), "pf_window_map: process drv has 16 windows mapped");
	assert_int_equal(pf_window_unmap(m[3]), 0);
	assert_int_equal(pf_window_unmap(m[3]), -EINVAL);
	assert_int_equal(pf_window_unmap((char *)m[4] + 8), -EINVAL);
	assert_ptr_equal(map("dev.mem", 0), m[3]);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(pf_window_unmap(m[i]), 0);
}

/* A mapping is its process's: a thread of another process using the
 * address fails as a call through another process's import does. */
static volatile uint32_t *foreign;
static uint32_t foreign_value;
static int foreign_errno;

static void use_foreign(void *arg)
{
	(void)arg;
	foreign_value = foreign[0];
	foreign_errno = pf_errno();
}

static void another_process_cannot_use_a_mapping(void **state)
{
	(void)state;
	reset(&mem_model);
	foreign = map("dev.mem", 0);
	pf_process *other;
	assert_int_equal(pf_process_create(&other, "other", NULL, fn_none, NULL), 0);
	run_as(other, use_foreign, NULL);
	assert_int_equal(foreign_value, 0xffffffff);
	assert_int_equal(foreign_errno, -EPERM);
	assert_int_equal(mem_model.n, 0);
	pf_window_unmap((void *)foreign);
	stop_server(other);
}

/* ---- statistics -------------------------------------------------------- */

static void statistics_count_each_windows_accesses(void **state)
{
	(void)state;
	pf_window_stats w;
	pf_stats s;
	assert_int_equal(pf_stats_enable(1), 0);
	assert_int_equal(pf_stats_reset(), 0);
	reset(&upd_model);
	volatile uint32_t *r = map("dev.upd", 0);
	uint32_t v = r[0] + r[1] + r[2];
	(void)v;
	r[3] = 1;
	r[4] = 2;
	__asm__ volatile("lock incl (%0)" :: "r"(r + 5) : "memory", "cc");
	uint8_t buf[16];
	void *d = buf, *src = (void *)(r + 8);
	size_t n = 16;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) :: "memory");
	assert_int_equal(pf_stats_get_window("dev.upd", &w), 0);
	assert_string_equal(w.name, "dev.upd");
	assert_int_equal(w.instructions, 7);
	assert_int_equal(w.reads, 3 + 16);
	assert_int_equal(w.writes, 2);
	assert_int_equal(w.updates, 1);
	assert_int_equal(w.read_bytes, 12 + 16 + 4);
	assert_int_equal(w.written_bytes, 8 + 4);
	assert_int_equal(w.failed, 0);
	assert_int_equal(w.by_width[0], 16);
	assert_int_equal(w.by_width[2], 6);
	assert_int_equal(pf_stats_get("dev.upd", &s), 0);
	assert_int_equal(s.calls, 3 + 16 + 2 + 1);
	assert_int_equal(pf_stats_get_entry("window", &s), 0);
	assert_int_equal(s.calls, 3 + 16 + 2 + 1);
	assert_int_equal(pf_stats_get_window("dev.mig", &w), -ENOENT);
	assert_int_equal(pf_stats_get_window(NULL, &w), -EINVAL);
	assert_int_equal(pf_stats_reset(), 0);
	assert_int_equal(pf_stats_get_window("dev.upd", &w), 0);
	assert_int_equal(w.reads, 0);
	pf_stats_enable(0);
	pf_window_unmap((void *)r);
}

/* ---- windows as capabilities ----------------------------------------------- */

static pf_process *alice, *bob, *carol;

struct try_map {
	int rc;
	uint32_t value;
	int err;
	char why[256];
};
static volatile uint32_t *alice_view, *bob_view;

static void alice_maps(void *arg)
{
	struct try_map *t = arg;
	void *p = NULL;
	t->rc = pf_window_map("dev.priv", 0, &p);
	snprintf(t->why, sizeof t->why, "%s", pf_error_message());
	alice_view = p;
}

static void bob_maps(void *arg)
{
	struct try_map *t = arg;
	void *p = NULL;
	t->rc = pf_window_map("dev.priv", 0, &p);
	bob_view = p;
}

static void alice_reads(void *arg)
{
	struct try_map *t = arg;
	t->value = alice_view[1];
	t->err = pf_errno();
}

static void bob_reads(void *arg)
{
	struct try_map *t = arg;
	t->value = bob_view[1];
	t->err = pf_errno();
}

static void dev_grants_alice(void *arg)
{
	*(int *)arg = pf_grant("dev.priv", alice, PF_GRANT_DELEGATE);
}

static void dev_revokes_alice(void *arg)
{
	*(int *)arg = pf_revoke("dev.priv", alice);
}

static void alice_delegates_to_bob(void *arg)
{
	*(int *)arg = pf_delegate("dev.priv", bob);
}

static void bob_delegates_to_carol(void *arg)
{
	*(int *)arg = pf_delegate("dev.priv", carol);
}

static int grants_setup(void **state)
{
	(void)state;
	if (!alice && (pf_process_create(&alice, "alice", NULL, fn_none, NULL) ||
		       pf_process_create(&bob, "bob", NULL, fn_none, NULL) ||
		       pf_process_create(&carol, "carol", NULL, fn_none, NULL)))
		return -1;
	reset(&priv_model);
	uint32_t v = 0xc0ffee;
	memcpy(priv_model.mem + 4, &v, 4);
	return 0;
}

static void a_private_window_is_mapped_only_with_a_grant(void **state)
{
	(void)state;
	struct try_map t;
	int rc;
	run_as(alice, alice_maps, &t);
	assert_int_equal(t.rc, -EPERM);
	assert_string_equal(t.why, "pf_window_map: \"dev.priv\" is a private window of process "
			    "dev, which granted it to no process alice");
	run_as(dev, dev_grants_alice, &rc);
	assert_int_equal(rc, 0);
	run_as(alice, alice_maps, &t);
	assert_int_equal(t.rc, 0);
	run_as(alice, alice_reads, &t);
	assert_int_equal(t.value, 0xc0ffee);
	assert_int_equal(t.err, 0);
	assert_ptr_equal(priv_model.log[priv_model.n - 1].caller, alice);
}

static void a_revoked_grant_fails_the_next_access_and_the_process_goes_on(void **state)
{
	(void)state;
	struct try_map t;
	int rc;
	run_as(dev, dev_grants_alice, &rc);
	run_as(alice, alice_maps, &t);
	assert_int_equal(t.rc, 0);
	run_as(dev, dev_revokes_alice, &rc);
	assert_int_equal(rc, 0);
	unsigned before = priv_model.n;
	run_as(alice, alice_reads, &t);
	assert_int_equal(t.value, 0xffffffff);
	assert_int_equal(t.err, -EPERM);
	run_as(alice, alice_reads, &t);   /* alive, and still refused */
	assert_int_equal(t.err, -EPERM);
	assert_int_equal(priv_model.n, before);
	run_as(dev, dev_grants_alice, &rc);
	run_as(alice, alice_reads, &t);
	assert_int_equal(t.value, 0xc0ffee);
	assert_int_equal(t.err, 0);
}

static void a_grant_is_delegated_once_and_revoked_with_its_delegator(void **state)
{
	(void)state;
	struct try_map t;
	int rc;
	run_as(dev, dev_grants_alice, &rc);
	run_as(alice, alice_delegates_to_bob, &rc);
	assert_int_equal(rc, 0);
	run_as(bob, bob_maps, &t);
	assert_int_equal(t.rc, 0);
	run_as(bob, bob_reads, &t);
	assert_int_equal(t.value, 0xc0ffee);
	assert_ptr_equal(priv_model.log[priv_model.n - 1].caller, bob);
	run_as(bob, bob_delegates_to_carol, &rc);
	assert_int_equal(rc, -EPERM);
	run_as(dev, dev_revokes_alice, &rc);
	run_as(bob, bob_reads, &t);
	assert_int_equal(t.value, 0xffffffff);
	assert_int_equal(t.err, -EPERM);
}

/* ---- windows of ports ------------------------------------------------------ */


static int ports_setup(void **state)
{
	(void)state;
	static bool done;
	reset(&port_model);
	reset(&kbd_model);
	if (done)
		return 0;
	done = true;
	return pf_port_map("dev.uart", 0) || pf_port_map("dev.kbd", 0) ? -1 : 0;
}

static int dead_ports_init(void *arg)
{
	return pf_port_create("dead.ports", 0x200, 4, &plain_ops, arg, 0);
}

static void in_and_out_reach_the_owner_with_their_widths(void **state)
{
	(void)state;
	uint16_t port = 0x3f8;
	__asm__ volatile("outb %%al, %%dx" :: "a"(0x41), "d"(port));
	__asm__ volatile("outw %%ax, %%dx" :: "a"(0x4243), "d"(port + 2));
	__asm__ volatile("outl %%eax, %%dx" :: "a"(0x44454647), "d"(port + 4));
	assert_int_equal(port_model.n, 3);
	assert_int_equal(port_model.log[0].op, 'W');
	assert_int_equal(port_model.log[0].offset, 0);
	assert_int_equal(port_model.log[1].width, 2);
	assert_int_equal(port_model.log[2].offset, 4);
	assert_ptr_equal(port_model.log[0].caller, drv);
	/* in al and in ax keep the bits above them; in eax zeroes 63:32. */
	uint64_t rax = ~0ull;
	__asm__ volatile("inb %%dx, %%al" : "+a"(rax) : "d"(port));
	assert_true(rax == 0xffffffffffffff41ull);
	rax = ~0ull;
	__asm__ volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(port + 2));
	assert_true(rax == 0xffffffffffff4243ull);
	rax = ~0ull;
	__asm__ volatile("inl %%dx, %%eax" : "+a"(rax) : "d"(port + 4));
	assert_true(rax == 0x44454647ull);
	assert_int_equal(pf_errno(), 0);
	/* The immediate forms, on a range below 0x100. */
	__asm__ volatile("outb %%al, $0x64" :: "a"(0xfe));
	rax = 0;
	kbd_model.mem[0] = 0x1c;
	__asm__ volatile("inb $0x60, %%al" : "+a"(rax));
	assert_int_equal(rax, 0x1c);
	assert_int_equal(kbd_model.mem[4], 0xfe);
}

static void string_port_io_moves_element_by_element(void **state)
{
	(void)state;
	const char msg[] = "hello";
	const void *s = msg;
	uint64_t n = 5;
	uint16_t port = 0x3f8;
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(port) : "memory");
	assert_int_equal(n, 0);
	assert_ptr_equal(s, msg + 5);
	assert_int_equal(port_model.n, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(port_model.log[i].offset, 0);
	assert_int_equal(port_model.mem[0], 'o');   /* the last one written */
	/* rep insw with DF set: rdi moves down. */
	uint16_t buf[4] = { 0 };
	void *d = &buf[3];
	n = 4;
	port_model.mem[2] = 0x34;
	port_model.mem[3] = 0x12;
	__asm__ volatile("std\n\trep insw\n\tcld" : "+D"(d), "+c"(n) : "d"(port + 2) : "memory");
	assert_true((uintptr_t)d == (uintptr_t)buf - 2);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(buf[i], 0x1234);
	assert_int_equal(port_model.n, 9);
}

static void port_mappings_check_their_ranges(void **state)
{
	(void)state;
	assert_int_equal(pf_port_map("dev.uart", 0), -EBUSY);
	assert_string_equal(pf_error_message(), "pf_port_map: ports 0x3f8-0x3ff of \"dev.uart\" "
			    "overlap \"dev.uart\", which process drv mapped already");
	assert_int_equal(pf_port_map("no.such", 0), -ENOENT);
	assert_int_equal(pf_port_map("dev.uart", 4), -EINVAL);
	assert_int_equal(pf_port_unmap("no.such"), -ENOENT);
	assert_int_equal(pf_port_unmap("dev.uart"), 0);
	assert_int_equal(pf_port_map("dev.uart", PF_WINDOW_POSTED), 0);
	uint16_t port = 0x3f8;
	__asm__ volatile("outb %%al, %%dx" :: "a"(0x55), "d"(port));
	uint8_t v;
	__asm__ volatile("inb %%dx, %%al" : "=a"(v) : "d"(port));
	assert_int_equal(v, 0x55);
	assert_int_equal(pf_port_unmap("dev.uart"), 0);
	assert_int_equal(pf_port_map("dev.uart", 0), 0);
}

static void a_stopped_port_owner_reads_all_ones(void **state)
{
	(void)state;
	static struct model dead_model;
	pf_process *p;
	assert_int_equal(pf_process_create(&p, "dead", NULL, dead_ports_init, &dead_model), 0);
	assert_int_equal(pf_port_map("dead.ports", 0), 0);
	stop_server(p);
	uint32_t v = 0;
	__asm__ volatile("inl %%dx, %%eax" : "=a"(v) : "d"((uint16_t)0x200));
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pf_errno(), -ESRCH);
	assert_int_equal(pf_port_unmap("dead.ports"), 0);
}

int main(void)
{
	const struct CMUnitTest windows[] = {
		cmocka_unit_test(a_load_returns_the_owners_bytes),
		cmocka_unit_test(stores_reach_the_owner_in_order),
		cmocka_unit_test(the_owner_serves_on_its_thread_a_migrating_window_on_the_accessors),
		cmocka_unit_test(or_on_a_register_is_one_read_then_one_write),
		cmocka_unit_test(a_locked_add_is_one_atomic_update),
		cmocka_unit_test(a_failing_cmpxchg_writes_nothing_and_loads_the_value),
		cmocka_unit_test(vector_moves_are_one_access_of_their_width),
		cmocka_unit_test(rep_movs_copies_256_bytes_in_and_out),
		cmocka_unit_test(a_load_changes_only_its_destination),
		cmocka_unit_test(a_windows_function_may_access_a_window),
		cmocka_unit_test(a_posted_store_does_not_wait_and_a_later_load_sees_it),
		cmocka_unit_test(an_access_that_times_out_reads_all_ones),
		cmocka_unit_test(an_atomic_access_that_timed_out_changes_nothing_later),
		cmocka_unit_test(a_window_is_mapped_and_a_function_called_never_the_other_way),
		cmocka_unit_test(creating_and_mapping_check_their_arguments),
		cmocka_unit_test(another_process_cannot_use_a_mapping),
		cmocka_unit_test(statistics_count_each_windows_accesses),
	};
	const struct CMUnitTest failures[] = {
		cmocka_unit_test(the_owners_error_fails_the_access),
		cmocka_unit_test(a_stopped_owner_reads_all_ones_and_drops_stores),
		cmocka_unit_test(a_crash_in_the_read_function_is_the_owners_alone),
		cmocka_unit_test(a_window_offered_again_on_restart_reaches_the_new_incarnation),
	};
	const struct CMUnitTest grants[] = {
		cmocka_unit_test_setup(a_private_window_is_mapped_only_with_a_grant, grants_setup),
		cmocka_unit_test_setup(a_revoked_grant_fails_the_next_access_and_the_process_goes_on,
				       grants_setup),
		cmocka_unit_test_setup(a_grant_is_delegated_once_and_revoked_with_its_delegator,
				       grants_setup),
	};
	const struct CMUnitTest ports[] = {
		cmocka_unit_test_setup(in_and_out_reach_the_owner_with_their_widths, ports_setup),
		cmocka_unit_test_setup(string_port_io_moves_element_by_element, ports_setup),
		cmocka_unit_test_setup(port_mappings_check_their_ranges, ports_setup),
		cmocka_unit_test_setup(a_stopped_port_owner_reads_all_ones, ports_setup),
	};
	if (group_setup(NULL) != 0)
		return 1;
	int failed = cmocka_run_group_tests_name("windows", windows, NULL, NULL);
	failed += cmocka_run_group_tests_name("window failures", failures, NULL, NULL);
	failed += cmocka_run_group_tests_name("windows as capabilities", grants, NULL, NULL);
	failed += cmocka_run_group_tests_name("windows of ports", ports, NULL, NULL);
	return failed;
}
