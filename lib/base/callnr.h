/* Call numbers: every import in the program has one, by arithmetic, as it
 * has a gate. They are what the numbered entries (int $N, syscall,
 * int $0x80) carry in eax, and what pf_import_number hands out.
 *
 * The base sits far above Linux's system call numbers (a few hundred), so
 * that a `syscall` with any other number is an ordinary system call that
 * pfipc passes on, and below bit 30, which would make it an x32 system
 * call for a kernel that does not dispatch it. */
#ifndef PF_CALLNR_H
#define PF_CALLNR_H

#include <stdbool.h>
#include <stdint.h>
#include "pf_limits.h"

#define CALLNR_BASE  0x10000000u
#define CALLNR_END   (CALLNR_BASE + LIMIT_PROCESSES * LIMIT_IMPORTS)

_Static_assert(CALLNR_END < 0x40000000u, "call numbers must stay clear of x32");

/* The number of slot SLOT of the process with import table PROCESS. */
static inline uint32_t callnr_of(unsigned process, unsigned slot)
{
	return CALLNR_BASE + process * LIMIT_IMPORTS + slot;
}

/* Is NR one of pfipc's? Then *PROCESS and *SLOT say whose. */
static inline bool callnr_split(uint32_t nr, unsigned *process, unsigned *slot)
{
	if (nr < CALLNR_BASE || nr >= CALLNR_END)
		return false;
	*process = (nr - CALLNR_BASE) / LIMIT_IMPORTS;
	*slot = (nr - CALLNR_BASE) % LIMIT_IMPORTS;
	return true;
}

#endif
