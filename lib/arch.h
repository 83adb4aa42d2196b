/* The architecture the library is built for. meson compiles the assembly
 * of one folder, lib/x86_64/ or lib/i386/ (host_machine.cpu_family()); the
 * C layers reach that folder's register image (regs.h), its offsets
 * (abi.h) and its signal-context names (context.h) through this header
 * alone, so no other file asks which architecture it is. */
#ifndef PF_ARCH_H
#define PF_ARCH_H

#if defined(__x86_64__)
#include "x86_64/context.h"
#elif defined(__i386__)
#include "i386/context.h"
#else
#error "pfipc is built for x86-64 or i386"
#endif

#endif
