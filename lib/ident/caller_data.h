/* Per-caller variables: memory a server keeps for each of its callers under
 * a small integer key (pf_caller_data_alloc and friends). */
#ifndef PF_CALLER_DATA_H
#define PF_CALLER_DATA_H

#include <stddef.h>

struct pf_process;

/* P exited: free every variable other servers kept for P as a caller, and
 * every variable P kept as a server. */
void caller_data_release(struct pf_process *p);

/* How many variables SERVER keeps now, for all its callers (tests). */
size_t caller_data_count(const struct pf_process *server);

#endif
