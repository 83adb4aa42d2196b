/* Grants: who may import and call a private export (PF_EXPORT_PRIVATE). */
#ifndef PF_GRANTS_H
#define PF_GRANTS_H

#include <stdbool.h>

struct export_entry;
struct pf_process;

/* May P use E while EXPORTER serves it? Always for a public export and for
 * the exporter itself; for a private one only with a grant from EXPORTER.
 * Checked at import and again at every call, so a revoke takes effect at
 * the next call. */
bool grants_allowed(const struct export_entry *e, const struct pf_process *exporter,
		    const struct pf_process *p);

/* P exited: drop the grants P gave as an exporter and those P held (with
 * what P delegated from them). */
void grants_release(struct pf_process *p);

/* How many grants exist now, for every export (tests). */
unsigned grants_count(void);

#endif
