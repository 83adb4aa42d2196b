/* zdemo - an ordinary zlib program, with no knowledge of pfipc.
 *
 * It compresses and decompresses buffers of several sizes with
 * deflate/inflate (in small steps, through its own zalloc/zfree) and with
 * compress2/uncompress, checks every round trip and the crc32/adler32
 * checksums (whole, in pieces, and combined), and prints what it found. A
 * second thread does the same for one buffer. tests/pfwrap links it once
 * against libz and once against a pfwrap shim, and compares the output.
 *
 * On stderr it says on which threads zlib called its allocator back: the
 * thread that made the zlib call, or another one. Linked directly, always
 * the caller's; through the shim, the library's process's thread.
 *
 * cc -O2 zdemo.c -o zdemo -lz -lpthread */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define STEP_IN  700   /* bytes handed to deflate/inflate per call */
#define STEP_OUT 300   /* room given for their output per call */
#define PIECE    1000  /* bytes per incremental checksum call */

/* What zlib calls back: counted, and checked against the thread that owns
 * the stream (the one that called deflate or inflate). */
struct owner {
	pthread_t thread;
	long allocs, frees;
};

static atomic_long on_caller, on_other;

static void note_thread(const struct owner *o)
{
	if (pthread_equal(o->thread, pthread_self()))
		atomic_fetch_add(&on_caller, 1);
	else
		atomic_fetch_add(&on_other, 1);
}

static voidpf counting_alloc(voidpf opaque, uInt items, uInt size)
{
	struct owner *o = opaque;
	note_thread(o);
	o->allocs++;
	return calloc(items, size);
}

static void counting_free(voidpf opaque, voidpf address)
{
	struct owner *o = opaque;
	note_thread(o);
	o->frees++;
	free(address);
}

/* Text from a small vocabulary: compressible, but not trivially. */
static void fill(unsigned char *buf, size_t n, unsigned seed)
{
	static const char *const words[] = {
		"page ", "fault ", "process ", "import ", "export ", "slot ",
		"gate ", "call ", "queue ", "server ", "client ", "kernel ",
	};
	size_t at = 0;
	while (at < n) {
		seed = seed * 1103515245u + 12345u;
		const char *w = words[(seed >> 16) % 12];
		for (size_t k = 0; w[k] && at < n; k++)
			buf[at++] = (unsigned char)w[k];
		if (((seed >> 8) & 7) == 0 && at < n)
			buf[at++] = (unsigned char)('0' + (seed >> 20) % 10);
	}
}

static int failures;

static void check(int ok, const char *what, size_t size)
{
	if (!ok) {
		printf("FAILED: %s (size %zu)\n", what, size);
		failures++;
	}
}

/* Deflate SRC in small steps into a new buffer; *OUT_LEN its length.
 * WINDOW_BITS 15 writes a zlib stream, 31 a gzip one (deflateInit2: eight
 * arguments, two of them on the stack). */
static unsigned char *deflate_steps(const unsigned char *src, size_t n, int level,
				    int window_bits, size_t *out_len, struct owner *o)
{
	size_t cap = deflateBound(NULL, n) + 64, have = 0;
	unsigned char *out = malloc(cap);
	z_stream s;
	memset(&s, 0, sizeof s);
	s.zalloc = counting_alloc;
	s.zfree = counting_free;
	s.opaque = o;
	int init = window_bits == 15 ? deflateInit(&s, level)
				     : deflateInit2(&s, level, Z_DEFLATED, window_bits, 8,
						    Z_DEFAULT_STRATEGY);
	if (!out || init != Z_OK) {
		free(out);
		return NULL;
	}
	size_t fed = 0;
	int rc;
	do {
		if (s.avail_in == 0 && fed < n) {
			size_t k = n - fed < STEP_IN ? n - fed : STEP_IN;
			s.next_in = (Bytef *)src + fed;
			s.avail_in = (uInt)k;
			fed += k;
		}
		s.next_out = out + have;
		s.avail_out = (uInt)(cap - have < STEP_OUT ? cap - have : STEP_OUT);
		size_t room = s.avail_out;
		rc = deflate(&s, fed == n ? Z_FINISH : Z_NO_FLUSH);
		have += room - s.avail_out;
	} while (rc == Z_OK || rc == Z_BUF_ERROR);
	deflateEnd(&s);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	*out_len = have;
	return out;
}

/* Inflate SRC (a zlib or a gzip stream: inflateInit2 with 47 detects
 * which) in small steps into DST (N bytes expected); 1 if it came back
 * whole and the stream ended. */
static int inflate_steps(const unsigned char *src, size_t len, unsigned char *dst,
			 size_t n, struct owner *o)
{
	z_stream s;
	memset(&s, 0, sizeof s);
	s.zalloc = counting_alloc;
	s.zfree = counting_free;
	s.opaque = o;
	if (inflateInit2(&s, 15 + 32) != Z_OK)
		return 0;
	size_t fed = 0, have = 0;
	int rc;
	do {
		if (s.avail_in == 0 && fed < len) {
			size_t k = len - fed < STEP_IN ? len - fed : STEP_IN;
			s.next_in = (Bytef *)src + fed;
			s.avail_in = (uInt)k;
			fed += k;
		}
		s.next_out = dst + have;
		s.avail_out = (uInt)(n + 1 - have < STEP_OUT ? n + 1 - have : STEP_OUT);
		size_t room = s.avail_out;
		rc = inflate(&s, Z_NO_FLUSH);
		have += room - s.avail_out;
	} while (rc == Z_OK);
	inflateEnd(&s);
	return rc == Z_STREAM_END && have == n;
}

/* One size: every check, and a line of results (into OUT, to print). */
static void run_size(size_t n, unsigned seed, char *out, size_t out_size)
{
	unsigned char *src = calloc(1, n + 1), *back = calloc(1, n + 1);
	struct owner o = { .thread = pthread_self() };
	fill(src, n, seed);

	/* Checksums: whole, in pieces, and the halves combined. */
	uLong crc = crc32(0L, src, (uInt)n), adler = adler32(1L, src, (uInt)n);
	uLong crc_p = crc32(0L, Z_NULL, 0), adler_p = adler32(0L, Z_NULL, 0);
	for (size_t at = 0; at < n; at += PIECE) {
		uInt k = (uInt)(n - at < PIECE ? n - at : PIECE);
		crc_p = crc32(crc_p, src + at, k);
		adler_p = adler32(adler_p, src + at, k);
	}
	check(crc == crc_p, "crc32 in pieces", n);
	check(adler == adler_p, "adler32 in pieces", n);
	size_t half = n / 2;
	uLong c1 = crc32(0L, src, (uInt)half), c2 = crc32(0L, src + half, (uInt)(n - half));
	check(crc32_combine(c1, c2, (z_off_t)(n - half)) == crc, "crc32_combine", n);
	uLong a1 = adler32(1L, src, (uInt)half), a2 = adler32(1L, src + half, (uInt)(n - half));
	check(adler32_combine(a1, a2, (z_off_t)(n - half)) == adler, "adler32_combine", n);

	/* deflate/inflate in steps: a zlib stream at level 1, a gzip one at 9. */
	size_t len1 = 0, len9 = 0;
	unsigned char *z1 = deflate_steps(src, n, 1, 15, &len1, &o);
	unsigned char *z9 = deflate_steps(src, n, 9, 31, &len9, &o);
	check(z1 && z9, "deflate", n);
	if (z1 && z9) {
		memset(back, 0xa5, n + 1);
		check(inflate_steps(z1, len1, back, n, &o) && memcmp(back, src, n) == 0,
		      "inflate round trip, zlib level 1", n);
		memset(back, 0x5a, n + 1);
		check(inflate_steps(z9, len9, back, n, &o) && memcmp(back, src, n) == 0,
		      "inflate round trip, gzip level 9", n);
		check(crc32(0L, back, (uInt)n) == crc, "crc32 after inflate", n);
	}

	/* compress2/uncompress. */
	uLongf clen = compressBound(n), blen = n + 1;
	unsigned char *c = malloc(clen);
	int crc_rc = compress2(c, &clen, src, n, 6);
	int unc_rc = uncompress(back, &blen, c, clen);
	check(crc_rc == Z_OK && unc_rc == Z_OK && blen == n && memcmp(back, src, n) == 0,
	      "compress2/uncompress round trip", n);

	snprintf(out, out_size,
		 "size %7zu  crc32 %08lx  adler32 %08lx  zlib -1 %6zu  gzip -9 %6zu  "
		 "compress2 %6lu  allocs %ld frees %ld",
		 n, crc, adler, len1, len9, (unsigned long)clen, o.allocs, o.frees);
	free(z1);
	free(z9);
	free(c);
	free(src);
	free(back);
}

struct job {
	size_t size;
	unsigned seed;
	char line[200];
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	run_size(j->size, j->seed, j->line, sizeof j->line);
	return NULL;
}

int main(void)
{
	static const size_t sizes[] = { 0, 1, 100, 4096, 65536, 250000 };
	char line[200];

	printf("zlib %s\n", zlibVersion());
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		run_size(sizes[i], (unsigned)(7 + i), line, sizeof line);
		printf("%s\n", line);
	}

	/* The same work on a thread the program starts. */
	struct job j = { .size = 30000, .seed = 99 };
	pthread_t t;
	if (pthread_create(&t, NULL, run_job, &j) != 0 || pthread_join(t, NULL) != 0) {
		printf("FAILED: the second thread\n");
		failures++;
	} else {
		printf("thread: %s\n", j.line);
	}

	printf("zError(Z_DATA_ERROR) = %s\n", zError(Z_DATA_ERROR));
	printf("%s\n", failures ? "SOME CHECKS FAILED" : "all checks passed");
	fprintf(stderr, "zdemo: allocator callbacks: %ld on the calling thread, %ld on another thread\n",
		atomic_load(&on_caller), atomic_load(&on_other));
	return failures != 0;
}
