/* pfwrap_stats.c - how many calls the library's process served, per
 * function, written at exit to the file PFWRAP_STATS names ("-": stderr).
 *
 * The counts come from the generated served trampolines: each export is a
 * locked increment of pfwrap_calls[i] followed by a jump to the library's
 * function. Once pfipc keeps statistics per export itself, only
 * pfwrap_served_calls needs to change (ask pfipc for "ns.name"), and the
 * server can export the library's functions without the trampolines.
 *
 * Format: a comment line, then one "NAME COUNT" line per function that was
 * called, in the order of the shim's table. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfwrap_runtime.h"

#define L pfwrap_library

unsigned long pfwrap_served_calls(unsigned i)
{
	return __atomic_load_n(&pfwrap_calls[i], __ATOMIC_RELAXED);
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
