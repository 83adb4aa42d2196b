/* Errno values by their symbolic names, for traces and tables. */
#ifndef PF_TRACE_ERRNAME_H
#define PF_TRACE_ERRNAME_H

/* "EOWNERDEAD" for -EOWNERDEAD (or EOWNERDEAD); NULL for a value pfipc
 * never returns. */
const char *trace_errno_name(int err);

#endif
