/* Call numbers (base/callnr.h) as the program sees them: one import's, and
 * the whole table, as a system call table would be printed. */
#include <errno.h>
#include <stdio.h>
#include "base/callnr.h"
#include "ident/import.h"
#include "ident/registry.h"
#include "pf_limits.h"
#include "proc/process.h"

int pf_import_number(const pf_import *imp)
{
	return imp ? (int)callnr_of(imp->owner->index, imp->slot) : -EINVAL;
}

int pf_call_table_print(FILE *f)
{
	if (!f)
		return -EINVAL;
	int rows = 0;
	fprintf(f, "%-10s  %-16s  %-40s  %s\n", "number", "importer", "import", "exporter");
	for (unsigned i = 0; i < LIMIT_PROCESSES; i++) {
		struct pf_process *p = process_by_index(i);
		for (unsigned slot = 0; p && slot < LIMIT_IMPORTS; slot++) {
			struct pf_import *imp = import_at(p, slot);
			if (!imp)
				continue;
			struct pf_process *exporter = atomic_load(&imp->entry->owner);
			fprintf(f, "%#-10x  %-16s  %-40s  %s\n", callnr_of(i, slot), p->name,
				imp->entry->name, exporter ? exporter->name : "-");
			rows++;
		}
	}
	fflush(f);
	return ferror(f) ? -EIO : rows;
}
