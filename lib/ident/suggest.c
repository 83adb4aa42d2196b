#include <stdio.h>
#include <string.h>
#include "ident/registry.h"
#include "ident/suggest.h"
#include "pf_limits.h"

#define BEST 3

struct closest {
	const char *name;
	unsigned limit;                     /* farther than this: no */
	unsigned n;
	unsigned dist[BEST];
	char names[BEST][LIMIT_EXPORT_NAME];
};

/* Levenshtein distance, with one row of LIMIT_EXPORT_NAME + 1 cells. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[LIMIT_EXPORT_NAME + 1];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static void consider(const struct export_entry *e, void *arg)
{
	struct closest *c = arg;
	unsigned d = distance(c->name, e->name);
	if (d == 0 || d > c->limit)
		return;
	unsigned at = c->n < BEST ? c->n : BEST;
	while (at > 0 && c->dist[at - 1] > d)
		at--;
	if (at == BEST)
		return;
	unsigned last = c->n < BEST ? c->n : BEST - 1;
	for (unsigned i = last; i > at; i--) {
		c->dist[i] = c->dist[i - 1];
		memcpy(c->names[i], c->names[i - 1], LIMIT_EXPORT_NAME);
	}
	c->dist[at] = d;
	snprintf(c->names[at], LIMIT_EXPORT_NAME, "%s", e->name);
	if (c->n < BEST)
		c->n++;
}

void suggest_names(const char *name, char *buf, size_t cap)
{
	struct closest c = { .name = name };
	size_t len = strlen(name);
	c.limit = len / 3 > 2 ? (unsigned)(len / 3) : 2;
	buf[0] = '\0';
	if (len >= LIMIT_EXPORT_NAME)
		return;
	registry_visit_exported(consider, &c);
	size_t n = 0;
	for (unsigned i = 0; i < c.n && n < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? " or " : "", c.names[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}
