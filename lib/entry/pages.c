#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include "base/callnr.h"
#include "entry/pages.h"
#include "pf_limits.h"

/* One process's stubs of one kind: 256 x 32 bytes, two whole pages, so
 * that each is made writable and executable on its own. */
#define PROCESS_BYTES ((uintptr_t)LIMIT_IMPORTS * STUB_STRIDE)
#define KIND_BYTES    ((uintptr_t)LIMIT_PROCESSES * PROCESS_BYTES)
#define AREA_BYTES    (KIND_BYTES * STUB_KINDS)

_Static_assert(PROCESS_BYTES % 4096 == 0, "a process's stubs fill whole pages");

#define INT3 0xcc

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uintptr_t area;               /* 0 until reserved */
static _Atomic bool prepared[STUB_KINDS][LIMIT_PROCESSES];
static _Atomic unsigned int_vector = 0x81;
static bool int_written;                     /* int stubs exist (under lock) */

struct stub_place pages_classify(uintptr_t addr)
{
	struct stub_place pl = { 0 };
	uintptr_t base = atomic_load_explicit(&area, memory_order_acquire);
	if (!base || addr < base || addr - base >= AREA_BYTES)
		return pl;
	uintptr_t off = addr - base;
	pl.inside = true;
	pl.kind = (enum stub_kind)(off / KIND_BYTES);
	off %= KIND_BYTES;
	pl.process = (unsigned)(off / PROCESS_BYTES);
	off %= PROCESS_BYTES;
	pl.slot = (unsigned)(off / STUB_STRIDE);
	pl.offset = (unsigned)(off % STUB_STRIDE);
	return pl;
}

uintptr_t pages_stub(enum stub_kind kind, unsigned process, unsigned slot)
{
	return atomic_load_explicit(&area, memory_order_acquire) + kind * KIND_BYTES +
	       process * PROCESS_BYTES + slot * STUB_STRIDE;
}

const char *pages_kind_name(enum stub_kind kind)
{
	static const char *const names[STUB_KINDS] = {
		[STUB_TRAP] = "trap", [STUB_UD2] = "ud2", [STUB_INT] = "int",
		[STUB_SYSCALL] = "syscall", [STUB_INT80] = "int $0x80",
	};
	return kind < STUB_KINDS ? names[kind] : "?";
}

unsigned pages_int_vector(void)
{
	return atomic_load_explicit(&int_vector, memory_order_relaxed);
}

int pages_set_int_vector(unsigned vector)
{
	pthread_mutex_lock(&lock);
	int rc = 0;
	if (int_written && vector != atomic_load(&int_vector))
		rc = -EBUSY;
	else
		atomic_store(&int_vector, vector);
	pthread_mutex_unlock(&lock);
	return rc;
}

static uint8_t *put(uint8_t *p, const uint8_t *bytes, size_t n)
{
	memcpy(p, bytes, n);
	return p + n;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

/* rax = al << 32 | nr (bits 40..63 are left over from rax: ignored). */
static uint8_t *put_number_in_rax(uint8_t *p, uint32_t nr)
{
	static const uint8_t shl_rax_32[] = { 0x48, 0xc1, 0xe0, 0x20 };
	static const uint8_t or_rax_imm32[] = { 0x48, 0x0d };
	p = put(p, shl_rax_32, sizeof shl_rax_32);
	p = put(p, or_rax_imm32, sizeof or_rax_imm32);
	return put32(p, nr);
}

/* After the system call: back to the caller if it was dispatched (r11
 * zero), else on to the ud2 mark. */
static uint8_t *put_check_and_return(uint8_t *p)
{
	static const uint8_t tail[] = {
		0x4d, 0x85, 0xdb,   /* test %r11,%r11 */
		0x75, 0x01,         /* jnz 1f */
		0xc3,               /* ret */
		0x0f, 0x0b,         /* 1: ud2 */
	};
	return put(p, tail, sizeof tail);
}

static void write_stub(uint8_t *s, enum stub_kind kind, uint32_t nr, unsigned vector)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	static const uint8_t mov_rcx_r10[] = { 0x49, 0x89, 0xca };
	static const uint8_t syscall[] = { 0x0f, 0x05 };
	static const uint8_t al_to_r11[] = {
		0x44, 0x0f, 0xb6, 0xd8,                     /* movzbl %al,%r11d */
		0x41, 0x81, 0xcb, 0x00, 0x01, 0x00, 0x00,   /* or $0x100,%r11d */
	};
	static const uint8_t int80[] = { 0xcd, 0x80 };
	uint8_t *p = s;
	memset(s, INT3, STUB_STRIDE);
	switch (kind) {
	case STUB_TRAP:
		break;   /* all int3 */
	case STUB_UD2:
		p = put(p, ud2, sizeof ud2);
		break;
	case STUB_INT:
		p = put_number_in_rax(p, nr);
		*p++ = 0xcd;                  /* int $vector */
		*p++ = (uint8_t)vector;
		*p++ = 0xc3;                  /* ret */
		break;
	case STUB_SYSCALL:
		p = put_number_in_rax(p, nr);
		p = put(p, mov_rcx_r10, sizeof mov_rcx_r10);
		p = put(p, syscall, sizeof syscall);
		p = put_check_and_return(p);
		break;
	case STUB_INT80:
		p = put(p, al_to_r11, sizeof al_to_r11);
		*p++ = 0xb8;                  /* mov $nr,%eax */
		p = put32(p, nr);
		p = put(p, int80, sizeof int80);
		p = put_check_and_return(p);
		break;
	default:
		break;
	}
}

static int reserve(void)
{
	if (atomic_load(&area))
		return 0;
	void *p = mmap(NULL, AREA_BYTES, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	atomic_store_explicit(&area, (uintptr_t)p, memory_order_release);
	return 0;
}

int pages_prepare(enum stub_kind kind, unsigned process)
{
	if (atomic_load_explicit(&prepared[kind][process], memory_order_acquire))
		return 0;
	pthread_mutex_lock(&lock);
	int rc = reserve();
	if (!rc && !atomic_load(&prepared[kind][process])) {
		uint8_t *page = (uint8_t *)pages_stub(kind, process, 0);
		unsigned vector = atomic_load(&int_vector);
		if (mprotect(page, PROCESS_BYTES, PROT_READ | PROT_WRITE) != 0) {
			rc = -errno;
		} else {
			for (unsigned slot = 0; slot < LIMIT_IMPORTS; slot++)
				write_stub(page + slot * STUB_STRIDE, kind,
					   callnr_of(process, slot), vector);
			if (mprotect(page, PROCESS_BYTES, PROT_READ | PROT_EXEC) != 0)
				rc = -errno;
		}
		if (!rc) {
			if (kind == STUB_INT)
				int_written = true;
			atomic_store_explicit(&prepared[kind][process], true, memory_order_release);
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}
