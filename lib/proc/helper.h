/* The helper: the OS process that forks isolated processes.
 *
 * Forking a program with several threads copies only the calling thread:
 * locks other threads held stay held in the child. So pf_init forks one
 * helper while pfipc has started no thread, and every isolated process is
 * a fork of that helper (one thread, nothing held), made on request: any
 * thread of any OS process of the program may ask, at any time.
 *
 * The helper also reaps them, and tells the program how each ended, on a
 * pipe only the program reads. It is not a child of the program (it is
 * forked twice), so the program's own wait() never sees it. No isolated process outlives the program:
 * the helper waits for EOF on a pipe whose other end only the program
 * holds (whichever thread called pf_init), then kills what it made and
 * exits; each isolated process has PR_SET_PDEATHSIG(SIGKILL) on the
 * helper, in case the helper itself is killed. */
#ifndef PF_HELPER_H
#define PF_HELPER_H

#include <stdbool.h>

/* What a new OS process runs: the isolated process of index INDEX. It
 * never returns (it ends with _exit). */
typedef void (*helper_child_fn)(unsigned index);

/* Fork the helper (pf_init, before pfipc starts any thread). 0, or a
 * negative errno value: then isolation is unavailable, nothing else is. */
int helper_start(helper_child_fn child);

/* Is there a helper to ask (this OS process's machine has one)? */
bool helper_available(void);

/* Ask for a new OS process running CHILD(INDEX). 0 once asked (the
 * outcome comes by helper_next_end, or from the child itself), -ECHILD
 * without a helper. */
int helper_spawn(unsigned index);

/* In the program: wait for the next OS process the helper made to end.
 * *INDEX is what it ran; *STATUS is its wait status, or a negative errno
 * value when it could not be forked at all. 0, or -EPIPE when the helper
 * is gone (it was killed: every isolated process died with it). */
int helper_next_end(unsigned *index, int *status);

/* Is the calling OS process the helper, or a child the helper forked
 * that has not yet become an isolated process? (A fork made there is no
 * fork of the program.) */
bool helper_is_self(void);

/* In a child the program forked: the helper, and its pipes, were the
 * parent's. Start one of its own (the child has one thread now). */
void helper_forked(void);

#endif
