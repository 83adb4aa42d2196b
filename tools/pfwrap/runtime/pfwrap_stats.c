/* pfwrap_stats.c - how many calls the library's process served, per
 * function, written at exit to the file PFWRAP_STATS names ("-": stderr).
 *
 * The counts are pfipc's own statistics of the library's exports
 * ("ns.name"), switched on at start when PFWRAP_STATS asks for them.
 *
 * Format: a comment line, then one "NAME COUNT" line per function that was
 * called, in the order of the shim's table. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pfipc.h>
#include "pfwrap_runtime.h"

#define L pfwrap_library

unsigned long pfwrap_served_calls(unsigned i)
{
	char name[160];
	pf_stats st;
	snprintf(name, sizeof name, "%s.%s", L.ns, L.names[i]);
	return pf_stats_get(name, &st) == 0 ? (unsigned long)st.served : 0;
}

/* Before the shim's other constructor makes the first import: counting
 * must be on before the first call. */
__attribute__((constructor(101))) static void pfwrap_stats_on(void)
{
	const char *path = getenv("PFWRAP_STATS");
	if (path && *path)
		pf_stats_enable(1);
}

__attribute__((destructor)) static void pfwrap_report(void)
{
	const char *path = getenv("PFWRAP_STATS");
	if (!path || !*path)
		return;
	FILE *f = strcmp(path, "-") == 0 ? stderr : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "pfwrap: cannot write %s\n", path);
		return;
	}
	fprintf(f, "# calls served by process %s (%s)\n", L.process_name, L.load_name);
	for (unsigned i = 0; i < L.count; i++) {
		unsigned long n = pfwrap_served_calls(i);
		if (n)
			fprintf(f, "%s %lu\n", L.names[i], n);
	}
	if (f != stderr)
		fclose(f);
}
