/*
 * cases.c — the list of cases every file adds to and the runner walks.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct bench_case *case_add(struct case_list *l, const struct bench_case *c)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 32;
		struct bench_case *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			abort();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = *c;
	return &l->v[l->n++];
}

struct bench_case *case_find(const struct case_list *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}
