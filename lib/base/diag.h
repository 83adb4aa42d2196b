/* Text for stderr and error messages built without stdio or malloc, so the
 * fault handler may use it (everything here is async-signal-safe). */
#ifndef PF_DIAG_H
#define PF_DIAG_H

#include <stddef.h>
#include <stdint.h>

struct diag {
	char *buf;
	size_t cap, len;  /* len < cap; buf is always NUL-terminated */
};

void diag_start(struct diag *d, char *buf, size_t cap);
void diag_str(struct diag *d, const char *s);
void diag_quoted(struct diag *d, const char *s);   /* "s" */
void diag_hex(struct diag *d, uint64_t v);         /* 0x1f */
void diag_dec(struct diag *d, int64_t v);
void diag_write_stderr(const struct diag *d);      /* plus a newline, in one write */

#endif
