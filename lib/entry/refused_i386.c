/* The entries the i386 build refuses, and why, so that the entry table
 * (entry/entry.c) stays the same for both architectures:
 *
 * Memory-mapped windows and ports are refused when a program maps one
 * (lifecycle/windows.c says so with -EOPNOTSUPP), since carrying out an
 * access needs the instruction emulator, which decodes and executes x86-64
 * forms against an x86-64 register file and signal frame
 * (entry/emulate*.c, entry/cpu_state.c, x86_64/restore.S). With no
 * mapping, no fault is ever an access, so the window and port entries
 * claim nothing.
 *
 * The syscall entry is refused when a program asks for it
 * (pf_entry_enable, lifecycle/entries.c): `syscall` is no system-call
 * gate of 32-bit code. A 32-bit process's system calls are int $0x80
 * (entry/int80.c) or go through the vDSO. */
#include <signal.h>
#include <stdbool.h>
#include <ucontext.h>
#include "entry/emulate.h"
#include "entry/port.h"
#include "entry/syscall.h"
#include "entry/window.h"

bool window_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	(void)sig, (void)si, (void)uc;
	return false;
}

bool port_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	(void)sig, (void)si, (void)uc;
	return false;
}

bool syscall_entry(int sig, const siginfo_t *si, ucontext_t *uc)
{
	(void)sig, (void)si, (void)uc;
	return false;
}

void emu_init(void)
{
}
