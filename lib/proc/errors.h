/* The error of a thread's last call through an import (pf_errno,
 * pf_error_message), and of its last failed import or export. */
#ifndef PF_ERRORS_H
#define PF_ERRORS_H

#include "pf_limits.h"

struct thread_error {
	int err;                          /* pf_errno() */
	char text[LIMIT_ERROR_MESSAGE];   /* pf_error_message() */
};

/* Record ERR with a sentence (printf FMT); returns ERR. */
int error_set(struct thread_error *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Success: 0 and no text. */
void error_clear(struct thread_error *e);

#endif
