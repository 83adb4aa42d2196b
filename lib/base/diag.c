#include <unistd.h>
#include "base/diag.h"

void diag_start(struct diag *d, char *buf, size_t cap)
{
	d->buf = buf;
	d->cap = cap;
	d->len = 0;
	buf[0] = '\0';
}

static void put(struct diag *d, char c)
{
	if (d->len + 1 < d->cap) {
		d->buf[d->len++] = c;
		d->buf[d->len] = '\0';
	}
}

void diag_str(struct diag *d, const char *s)
{
	while (s && *s)
		put(d, *s++);
}

void diag_quoted(struct diag *d, const char *s)
{
	put(d, '"');
	diag_str(d, s ? s : "?");
	put(d, '"');
}

void diag_hex(struct diag *d, uint64_t v)
{
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	diag_str(d, "0x");
	while (n)
		put(d, tmp[--n]);
}

void diag_dec(struct diag *d, int64_t v)
{
	char tmp[20];
	int n = 0;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	if (v < 0)
		put(d, '-');
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		put(d, tmp[--n]);
}

/* One write() per line: two processes crashing at once must not merge
 * their lines (a pipe or terminal keeps a write of under PIPE_BUF bytes
 * whole). The newline takes the NUL's place: len < cap always. */
void diag_write_stderr(const struct diag *d)
{
	d->buf[d->len] = '\n';
	size_t off = 0, n = d->len + 1;
	while (off < n) {
		ssize_t w = write(2, d->buf + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	d->buf[d->len] = '\0';
}
