/* Kernel state every OS process of the program sees: one shared mapping.
 *
 * An isolated process runs in an OS process of its own, forked (through
 * the helper) from the program as it was at pf_init. Whatever the other
 * side of a call must see — process and thread records, messages, queues,
 * turns, names, import tables, tickets, grants, handles, caller data —
 * lives in one MAP_SHARED mapping of a memfd, made at pf_init before
 * anything forks, so it is at the same address in every OS process and a
 * pointer into it means the same thing everywhere.
 *
 * The allocator is a bump pointer with a free list per power-of-two size,
 * under one lock; blocks are 64-byte aligned (the records are laid out by
 * cache line). Locks kept in this memory are process-shared and robust: a
 * lock whose holder died (its OS process was killed) is taken over as its
 * holder left what it protected.
 *
 * A program's own fork (through the C library's fork, pthread_atfork)
 * gives the child a private copy of the state at the same address, so a
 * child goes on with its own kernel as it did when everything was private
 * memory (shared_fork_child). */
#ifndef PF_SHARED_H
#define PF_SHARED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Map the region (once, from pf_init). 0, or a negative errno value. */
int shared_init(void);

/* N bytes of zeroed shared memory, 64-byte aligned; NULL when the region
 * is full (or before shared_init). Normal context only. */
void *shared_alloc(size_t n);
/* Give back a block from shared_alloc (NULL: nothing). */
void shared_free(void *p);
/* Resize a block (as realloc: NULL P allocates; NULL on failure, with P
 * untouched); bytes past the old size are zero. */
void *shared_realloc(void *p, size_t n);

/* Bytes handed out and not given back, headers included (tests). */
size_t shared_in_use(void);
/* The region's bytes from its start to its high-water mark (tests). */
size_t shared_high_water(void);

/* In a child the program forked: replace the region by a private copy of
 * its current content, at the same address. 0 or a negative errno value
 * (then the child still shares its parent's state). */
int shared_fork_child(void);

/* A mutex in shared memory: process-shared and robust. */
void shared_lock_init(pthread_mutex_t *m);
/* Lock M. A holder that died leaves it to us as it was (the data it
 * guards is taken as left: each user says why that is consistent). */
void shared_lock(pthread_mutex_t *m);
void shared_unlock(pthread_mutex_t *m);

#endif
