/* Counting allocations: malloc and its friends interposed, each call
 * counted in `allocations`, for tests that show a path allocates nothing.
 * Under a sanitizer that owns malloc this header is the whole test: a
 * main that says why it skips. The test's own code goes
 * between #ifndef PF_TEST_SANITIZER_OWNS_MALLOC and its #endif. */
#ifndef PF_TEST_ALLOC_COUNT_H
#define PF_TEST_ALLOC_COUNT_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include "sanitizers.h"

#ifdef PF_TEST_SANITIZER_OWNS_MALLOC
int main(void)
{
	fputs("skipped: built with a sanitizer that interposes malloc itself, "
	      "so this test cannot count the library's allocations\n", stderr);
	return 77;
}
#else

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long allocations;

void *malloc(size_t n) { atomic_fetch_add(&allocations, 1); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add(&allocations, 1); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add(&allocations, 1); return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { atomic_fetch_add(&allocations, 1); return __libc_memalign(a, n); }
void *memalign(size_t a, size_t n) { atomic_fetch_add(&allocations, 1); return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n)
{
	atomic_fetch_add(&allocations, 1);
	*p = __libc_memalign(a, n);
	return *p ? 0 : 12;   /* ENOMEM */
}
#endif

#endif
