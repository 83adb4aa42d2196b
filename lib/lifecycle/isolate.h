/* Isolated processes (isolate.c): the API's side, the side of the OS
 * process one runs in, and the program's watcher. */
#ifndef PF_ISOLATE_H
#define PF_ISOLATE_H

struct pf_process;

/* P (made, init set) starts in an OS process of its own: 0 once its init
 * returned 0 there, else what init returned or why it could not run. */
int isolate_create(struct pf_process *p);
/* Wait until P's OS process has ended for good (its watchers told). */
void isolate_join(struct pf_process *p);
/* The helper's child runs this: the isolated process of index INDEX. */
void isolate_main(unsigned index);
/* In a child the program forked: no watcher runs there yet. */
void isolate_forked(void);

#endif
