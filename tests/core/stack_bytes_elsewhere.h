/* Functions stack_bytes_test.c exports from code built without full debug
 * information. */
#ifndef PF_TEST_STACK_BYTES_ELSEWHERE_H
#define PF_TEST_STACK_BYTES_ELSEWHERE_H

/* In a shared library built with -g0: 8 stack bytes. */
long nodebug_add7(long a, long b, long c, long d, long e, long f, long g);

/* In an object built with -g1 (names and lines, no parameters). */
long g1_add7(long a, long b, long c, long d, long e, long f, long g);

#endif
