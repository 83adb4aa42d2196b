/* Reading a program's pf_process_options, whatever layout it was built
 * with. */
#ifndef PF_PROC_OPTIONS_H
#define PF_PROC_OPTIONS_H

#include "pfipc.h"

/* Copies the options the program passed (NULL: all defaults) into *DST in
 * this library's layout: fields the program's struct does not have are 0.
 * 0, or -EINVAL for a size this library cannot read or a non-zero field it
 * does not know. */
int process_options_read(pf_process_options *dst, const pf_process_options *src);

#endif
