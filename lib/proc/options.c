/* pf_process_options can grow without breaking programs built against an
 * older header, and a program built against a newer header fails loudly
 * on an older library instead of losing options.
 *
 * The struct starts with its own size. A program built with this header
 * passes sizeof (or 0, which means the first layout, so zero-initialised
 * structs keep working); one built with an older header passes a smaller
 * size, and the fields it does not have take their defaults. Nothing past
 * SIZE bytes is read: the program's struct may end at the end of a page.
 * A size larger than this library's struct comes from a newer header: the
 * bytes this library does not know must be zero, as must the reserved
 * words, since a non-zero value there asks for something this library
 * cannot do. The same rule as Linux's extensible system-call structs
 * (clone3, openat2), with -EINVAL for the unknown non-zero bytes. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "proc/options.h"

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int process_options_read(pf_process_options *dst, const pf_process_options *src)
{
	memset(dst, 0, sizeof *dst);
	dst->size = sizeof *dst;
	if (!src)
		return 0;
	size_t n = src->size ? src->size : PF_PROCESS_OPTIONS_SIZE_0;
	if (n % 8 || n < PF_PROCESS_OPTIONS_SIZE_MIN)
		return -EINVAL;
	const unsigned char *bytes = (const unsigned char *)src;
	size_t known = n < sizeof *dst ? n : sizeof *dst;
	if (n > known && !all_zero(bytes + known, n - known))
		return -EINVAL;
	memcpy(dst, src, known);
	dst->size = sizeof *dst;
	if (!all_zero((const unsigned char *)dst->reserved, sizeof dst->reserved))
		return -EINVAL;
	if (dst->restart != PF_RESTART_NEVER && dst->restart != PF_RESTART_ALWAYS)
		return -EINVAL;
	return 0;
}
