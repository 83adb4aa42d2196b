/* The port entry: in, out, ins and outs on ports a port range of the
 * thread's process covers (ident/windows.h). User space may not do port
 * I/O: Linux delivers the general-protection fault as SIGSEGV with
 * si_code SI_KERNEL, si_addr 0 and rip at the instruction, as for an int
 * $N (vector.c), whose bytes tell them apart. */
#ifndef PF_ENTRY_PORT_H
#define PF_ENTRY_PORT_H

#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>

/* A SIGSEGV: true if it was port I/O on ports of the thread's process
 * (carried out, or refused when a range covers them only in part). */
bool port_entry(int sig, const siginfo_t *si, ucontext_t *uc);

#endif
