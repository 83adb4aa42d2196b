/* Handle tables: a server's objects named by opaque 64-bit handles, each
 * owned by one caller (pf_handle_create and friends). */
#ifndef PF_HANDLES_H
#define PF_HANDLES_H

#include <stddef.h>

struct pf_process;

/* P exited: close every handle P owned in other servers' tables, and every
 * handle in P's own table. */
void handles_release(struct pf_process *p);

/* How many handles are open in SERVER's table (tests). */
size_t handles_open_count(const struct pf_process *server);

#endif
