/* The SIGSEGV front-end. */
#ifndef PF_FAULT_H
#define PF_FAULT_H

/* Install the handler, remembering the one installed before. */
int fault_install(void);

#endif
