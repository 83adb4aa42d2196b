/* How many bytes of stack arguments a function takes under the System V
 * x86-64 calling convention, worked out from its prototype in the debug
 * information, so that pf_export need not take the count on trust.
 * Normal context only (it reads files and allocates): it runs once, when a
 * function is exported, never on the call path. */
#ifndef PF_STACK_BYTES_H
#define PF_STACK_BYTES_H

#include <stddef.h>

/* The stack-argument bytes of the function whose code starts at FN: the
 * end of its last stack argument, rounded up to 8. For a variadic function,
 * those of its named parameters. 0 with *OUT and WHY (WHYCAP bytes) saying
 * which argument ends the area; -ENOENT when no debug information
 * describes FN (WHY says so: build with -g); -ENOTSUP when a parameter's
 * type cannot be classified (WHY names the parameter and the type). */
int stack_bytes_of(const void *fn, unsigned *out, char *why, size_t whycap);

/* What pf_export does with the STACK_BYTES it was given for FN, exported as
 * NAME with FLAGS: PF_STACK_AUTO becomes the computed count; a declared
 * count is checked against it when the debug information allows (a
 * variadic function may declare more, for the stack arguments its callers
 * add), unless FLAGS has PF_EXPORT_STACK_AS_DECLARED. 0, or -EINVAL with
 * MSG (MSGCAP bytes) naming the function and both counts, or saying why
 * none could be worked out. */
int stack_bytes_for_export(const char *name, const void *fn, size_t *stack_bytes,
			   unsigned flags, char *msg, size_t msgcap);

#endif
