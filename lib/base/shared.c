/* The shared region and its allocator (see shared.h).
 *
 * Layout: a header page (the allocator's lock, bump pointer and free
 * lists), then blocks. A block is a power of two of bytes, at least 128:
 * its first 64 bytes say its size class, the rest is the caller's, 64-byte
 * aligned. Freed blocks go on their class's list and are handed out again
 * first; the bump pointer only grows. The region is reserved whole
 * (LIMIT_SHARED_BYTES of a memfd, MAP_NORESERVE) and pages are committed
 * as they are first written.
 *
 * The lock is robust: an isolated process killed while it held it leaves
 * at worst one block off its list (a push or pop is one store), a leak,
 * never a block handed out twice. */
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "base/shared.h"
#include "pf_limits.h"

#define HEADER   64u
#define MIN_SHIFT 7u                 /* the smallest block: 128 bytes */
#define CLASSES  40u

struct block {
	uint32_t class;                  /* size is 1 << class */
	uint32_t in_use;
	struct block *next;              /* on its free list */
};

struct region {
	alignas(64) pthread_mutex_t lock;
	uintptr_t bump;                  /* next unused byte */
	uintptr_t end;
	size_t in_use;
	struct block *free[CLASSES];
};

static struct region *region;        /* set by shared_init, before forks */
static int region_fd = -1;

/* LeakSanitizer finds what is still referenced by scanning the heap,
 * stacks and globals. The shared region holds the only pointer to some
 * private allocations (a thread record's entry state): in a build with
 * it, the part of the region in use is a root, registered at exit, just
 * before the leak check (which was registered earlier, so runs later). */
#if defined(__SANITIZE_ADDRESS__)
#define PF_LEAK_CHECKED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define PF_LEAK_CHECKED 1
#endif
#endif

#ifdef PF_LEAK_CHECKED
#include <sanitizer/lsan_interface.h>

static void region_is_a_root(void)
{
	__lsan_register_root_region(region, region->bump - (uintptr_t)region);
}
#endif

static void lock_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

void shared_lock_init(pthread_mutex_t *m)
{
	lock_init(m);
}

void shared_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		pthread_mutex_consistent(m);
}

void shared_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

int shared_init(void)
{
	int fd = memfd_create("pfipc-kernel", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)LIMIT_SHARED_BYTES) != 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	void *p = mmap(NULL, LIMIT_SHARED_BYTES, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	region = p;
	region_fd = fd;
	lock_init(&region->lock);
	region->bump = ((uintptr_t)p + sizeof *region + 4095) & ~(uintptr_t)4095;
	region->end = (uintptr_t)p + LIMIT_SHARED_BYTES;
#ifdef PF_LEAK_CHECKED
	atexit(region_is_a_root);
#endif
	return 0;
}

static unsigned class_of(size_t n)
{
	size_t need = n + HEADER;
	unsigned c = MIN_SHIFT;
	while (c < CLASSES && ((size_t)1 << c) < need)
		c++;
	return c;
}

/* A block of class C: a freed one (*REUSED), or a new one, which is
 * still zero (the memfd's pages are, until written: leaving them alone
 * keeps a large table that is never used from costing memory). */
static struct block *take_locked(unsigned c, bool *reused)
{
	struct block *b = region->free[c];
	*reused = b != NULL;
	if (b) {
		region->free[c] = b->next;
		return b;
	}
	size_t size = (size_t)1 << c;
	if (region->end - region->bump < size)
		return NULL;
	b = (struct block *)region->bump;
	region->bump += size;
	b->class = c;
	return b;
}

void *shared_alloc(size_t n)
{
	if (!region || n > LIMIT_SHARED_BYTES)
		return NULL;
	unsigned c = class_of(n);
	if (c >= CLASSES)
		return NULL;
	bool reused;
	shared_lock(&region->lock);
	struct block *b = take_locked(c, &reused);
	if (b) {
		b->in_use = 1;
		region->in_use += (size_t)1 << c;
	}
	shared_unlock(&region->lock);
	if (!b)
		return NULL;
	void *p = (char *)b + HEADER;
	if (reused)
		memset(p, 0, n);
	return p;
}

static struct block *block_of(void *p)
{
	return (struct block *)((char *)p - HEADER);
}

void shared_free(void *p)
{
	if (!p)
		return;
	struct block *b = block_of(p);
	shared_lock(&region->lock);
	if (b->in_use) {   /* a second free is refused, not a corrupt list */
		b->in_use = 0;
		region->in_use -= (size_t)1 << b->class;
		b->next = region->free[b->class];
		region->free[b->class] = b;
	}
	shared_unlock(&region->lock);
}

void *shared_realloc(void *p, size_t n)
{
	if (!p)
		return shared_alloc(n);
	size_t have = ((size_t)1 << block_of(p)->class) - HEADER;
	if (n <= have)
		return p;
	void *q = shared_alloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, have);
	shared_free(p);
	return q;
}

size_t shared_in_use(void)
{
	if (!region)
		return 0;
	shared_lock(&region->lock);
	size_t n = region->in_use;
	shared_unlock(&region->lock);
	return n;
}

size_t shared_high_water(void)
{
	if (!region)
		return 0;
	shared_lock(&region->lock);
	size_t n = region->bump - (uintptr_t)region;
	shared_unlock(&region->lock);
	return n;
}

/* Copy what the region holds into FD: only the pages that were ever
 * written (SEEK_DATA/SEEK_HOLE), read through the mapping. */
static int copy_written(int fd, size_t len)
{
	off_t off = 0;
	while ((size_t)off < len) {
		off_t data = lseek(region_fd, off, SEEK_DATA);
		if (data < 0 || (size_t)data >= len)
			break;
		off_t hole = lseek(region_fd, data, SEEK_HOLE);
		if (hole < 0 || (size_t)hole > len)
			hole = (off_t)len;
		for (off_t at = data; at < hole;) {
			ssize_t w = pwrite(fd, (char *)region + at, (size_t)(hole - at), at);
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			at += w;
		}
		off = hole;
	}
	return 0;
}

int shared_fork_child(void)
{
	if (!region)
		return 0;
	int fd = memfd_create("pfipc-kernel", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Read without the lock: another thread of the parent may have held
	 * it at the fork, and none of them exists here. */
	size_t used = region->bump - (uintptr_t)region;
	int rc = ftruncate(fd, (off_t)LIMIT_SHARED_BYTES) != 0 ? -errno : copy_written(fd, used);
	if (!rc && mmap(region, LIMIT_SHARED_BYTES, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_NORESERVE | MAP_FIXED, fd, 0) == MAP_FAILED)
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	close(region_fd);
	region_fd = fd;
	lock_init(&region->lock);   /* whoever held it is not in this child */
	return 0;
}
