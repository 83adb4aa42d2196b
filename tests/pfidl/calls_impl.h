/* calls_impl.h - what calls_test.c sees of the implementation beside the
 * generated prototypes. */
#ifndef CALLS_IMPL_H
#define CALLS_IMPL_H

/* How many times calls_p5_impl has run, in any process. */
extern int calls_runs;

/* The buffer pointers the last call of p5, p11 or p12 received: through
 * pfipc they must point to the server's copies, not the caller's memory. */
extern const void *calls_seen[2];

#endif
