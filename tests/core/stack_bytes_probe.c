/* The probe behind stack_bytes_gen.py: for every function in the shared
 * libraries it is given, measure how many bytes of stack arguments the
 * compiled function really reads, and compare with what pfipc works out
 * from the function's debug information.
 *
 * The measurement knows nothing of the ABI. Each generated function hashes
 * the bytes of every parameter it has (through probe_mix, a pointer the
 * probe sets, so the compiler must keep each parameter whole in memory).
 * The probe calls it with fixed registers and a 2 KiB stack area of
 * random bytes, then again with 8-byte words of that area changed: the
 * words that change the hash are the ones the function reads, and the end
 * of the last of them is the stack bytes it takes. A stack argument takes
 * its size rounded up to 8, so its last word always holds some of its
 * bytes.
 *
 * usage: stack_bytes_probe LIB.so...   (exit 1 on any disagreement) */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ident/stack_bytes.h"

#define AREA 2048u

/* What each generated library exports. */
struct probe_fn {
	const char *name;
	void *fn;
};

/* probe_call(fn, gpr, xmm, area, len): call FN with rdi..r9 = GPR[0..5],
 * xmm0..7 = XMM, al = 8 and the LEN bytes at AREA as its stack arguments.
 * The stack below the arguments is zeroed first, so that whatever the
 * callee finds in its own frame (the padding of a spilled struct) is the
 * same on every call. fninit afterwards: a callee returning long double
 * leaves it on the x87 stack. */
void probe_call(void *fn, const uint64_t *gpr, const void *xmm,
		const void *area, size_t len);
__asm__(
	"	.text\n"
	"	.globl	probe_call\n"
	"	.type	probe_call, @function\n"
	"probe_call:\n"
	"	push	%rbp\n"
	"	mov	%rsp, %rbp\n"
	"	push	%rbx\n"
	"	push	%r12\n"
	"	push	%r13\n"
	"	push	%r14\n"
	"	mov	%rdi, %r12\n"		/* the function */
	"	mov	%rsi, %rbx\n"		/* integer registers */
	"	mov	%rdx, %r13\n"		/* xmm registers */
	"	sub	%r8, %rsp\n"		/* room for the stack area, */
	"	and	$-64, %rsp\n"		/* aligned for any argument */
	"	mov	%rcx, %rsi\n"
	"	mov	%rsp, %rdi\n"
	"	mov	%r8, %rcx\n"
	"	rep movsb\n"
	"	lea	-16384(%rsp), %rdi\n"	/* zero 16 KiB below it */
	"	mov	$16384, %rcx\n"
	"	xor	%eax, %eax\n"
	"	rep stosb\n"
	"	movdqu	0(%r13), %xmm0\n"
	"	movdqu	16(%r13), %xmm1\n"
	"	movdqu	32(%r13), %xmm2\n"
	"	movdqu	48(%r13), %xmm3\n"
	"	movdqu	64(%r13), %xmm4\n"
	"	movdqu	80(%r13), %xmm5\n"
	"	movdqu	96(%r13), %xmm6\n"
	"	movdqu	112(%r13), %xmm7\n"
	"	mov	0(%rbx), %rdi\n"
	"	mov	8(%rbx), %rsi\n"
	"	mov	16(%rbx), %rdx\n"
	"	mov	24(%rbx), %rcx\n"
	"	mov	32(%rbx), %r8\n"
	"	mov	40(%rbx), %r9\n"
	"	mov	$8, %eax\n"		/* al: vector registers used */
	"	call	*%r12\n"
	"	fninit\n"
	"	lea	-32(%rbp), %rsp\n"
	"	pop	%r14\n"
	"	pop	%r13\n"
	"	pop	%r12\n"
	"	pop	%rbx\n"
	"	pop	%rbp\n"
	"	ret\n"
	"	.size	probe_call, .-probe_call\n");

static uint64_t hash;

static void mix(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		hash = (hash ^ b[i]) * 0x100000001b3ull;   /* FNV-1a */
}

static uint64_t gpr[6];
static unsigned char xmm[8 * 16];
static unsigned char area[AREA];
static char result[4096];   /* where a result returned in memory goes */

static uint64_t run(void *fn)
{
	hash = 0xcbf29ce484222325ull;
	probe_call(fn, gpr, xmm, area, sizeof area);
	return hash;
}

static void flip(unsigned from, unsigned to)
{
	for (unsigned i = from * 8; i < to * 8; i++)
		area[i] ^= 0xa5;
}

/* The stack bytes FN reads, or -1 if its hash is not reproducible. Changing
 * the words from W to the end changes the hash exactly when FN reads one
 * of them: a binary search finds the first W past every word it reads. */
static long measure(void *fn)
{
	const unsigned words = AREA / 8;
	uint64_t base = run(fn);
	if (run(fn) != base)
		return -1;
	unsigned lo = 0, hi = words;   /* hash changes from lo; not from hi */
	flip(0, words);
	bool changes = run(fn) != base;
	flip(0, words);
	if (!changes)
		return 0;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		flip(mid, words);
		changes = run(fn) != base;
		flip(mid, words);
		if (changes)
			lo = mid;
		else
			hi = mid;
	}
	/* The last word read, changed alone, must change the hash too. */
	flip(lo, lo + 1);
	changes = run(fn) != base;
	flip(lo, lo + 1);
	return changes ? (long)hi * 8 : -1;
}

static int probe_library(const char *path, unsigned *count)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("FAIL %s\n", dlerror());
		return 1;
	}
	void (**mixp)(const void *, size_t) = dlsym(h, "probe_mix");
	const struct probe_fn *fns = dlsym(h, "probe_table");
	if (!mixp || !fns) {
		printf("FAIL %s: no probe_mix or probe_table\n", path);
		return 1;
	}
	*mixp = mix;
	int failures = 0;
	for (const struct probe_fn *f = fns; f->name; f++, (*count)++) {
		long real = measure(f->fn);
		unsigned computed = 0;
		char why[256];
		int rc = stack_bytes_of(f->fn, &computed, why, sizeof why);
		if (real < 0) {
			printf("FAIL %s %s: the measurement is not reproducible\n",
			       path, f->name);
			failures++;
		} else if (real >= AREA) {
			printf("FAIL %s %s: reads past the probe's %u bytes\n",
			       path, f->name, AREA);
			failures++;
		} else if (rc && strstr(why, "may be long double's or _Float128's complex")) {
			/* clang's DWARF names both complex types "complex": pfipc
			 * refuses to guess (a declared count is taken on trust). */
			printf("refused %s %s: %s\n", path, f->name, why);
		} else if (rc) {
			printf("FAIL %s %s: the compiler uses %ld stack bytes; "
			       "pfipc: %s (%d)\n", path, f->name, real, why, rc);
			failures++;
		} else if ((unsigned)real != computed) {
			printf("FAIL %s %s: the compiler uses %ld stack bytes, pfipc "
			       "says %u: %s\n", path, f->name, real, computed, why);
			failures++;
		}
	}
	/* Left loaded: pfipc's debug information session still has it. */
	return failures;
}

int main(int argc, char **argv)
{
	srand(9);
	for (unsigned i = 0; i < 6; i++)
		gpr[i] = 0x0101010101010101ull * (i + 1);
	gpr[0] = (uintptr_t)result;   /* rdi may be a hidden result pointer */
	for (unsigned i = 0; i < sizeof xmm; i++)
		xmm[i] = (unsigned char)rand();
	for (unsigned i = 0; i < sizeof area; i++)
		area[i] = (unsigned char)rand();

	int failures = 0;
	unsigned count = 0;
	for (int i = 1; i < argc; i++)
		failures += probe_library(argv[i], &count);
	printf("%u functions in %d libraries: %d disagreements\n", count,
	       argc - 1, failures);
	return failures ? 1 : 0;
}
