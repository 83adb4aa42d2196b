/* "Did you mean ...?": the exported names closest to a name nobody
 * exports, for the error message of a failed import. */
#ifndef PF_SUGGEST_H
#define PF_SUGGEST_H

#include <stddef.h>

/* Write into BUF (CAP bytes) up to three exported names close to NAME
 * (edit distance at most a third of its length, at least 2), closest
 * first, separated by " or "; "" when none is close. */
void suggest_names(const char *name, char *buf, size_t cap);

#endif
