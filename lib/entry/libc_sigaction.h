/* The C library's sigaction(), beneath the one signals.c interposes. */
#ifndef PF_LIBC_SIGACTION_H
#define PF_LIBC_SIGACTION_H

#include <signal.h>

/* sigaction(2) as it would have run without pfipc's interposition: the
 * next definition after pfipc's (the C library's, or a sanitizer's or a
 * preloaded library's that wraps it), or, in a statically linked program,
 * the C library's own. Same contract as sigaction: 0, or -1 with errno
 * set. Async-signal-safe once resolved, which happens before main. */
int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#endif
