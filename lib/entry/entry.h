/* The ways into pfipc's "kernel": one signal handler in front of every
 * entry, and the per-thread set-up the handlers need.
 *
 * | entry      | what the program executes             | delivered as                   | file      |
 * |------------|---------------------------------------|--------------------------------|-----------|
 * | gate       | call *%reg to a PROT_NONE gate        | SIGSEGV, fetch fault           | fault.c   |
 * | slot       | call/jmp [slot], mov reg,[slot]       | SIGSEGV, data fault            | fault.c   |
 * | int vector | int $N (0x81 unless set), nr in eax   | SIGSEGV, SI_KERNEL, si_addr 0  | vector.c  |
 * | trap       | call to the import's int3 stub        | SIGTRAP, RIP past the int3     | trap.c    |
 * | ud2        | call to the import's ud2 stub         | SIGILL, RIP at the ud2         | ud2.c     |
 * | syscall    | syscall, nr in eax (Syscall User      | SIGSYS, SYS_USER_DISPATCH,     | syscall.c |
 * |            | Dispatch)                             | x86-64                         |           |
 * | int $0x80  | int $0x80, nr in eax (the same)       | SIGSYS, SYS_USER_DISPATCH, i386| int80.c   |
 * | window     | a load or store to a window mapping   | SIGSEGV, data fault            | window.c  |
 * | port       | in, out, ins, outs on mapped ports    | SIGSEGV, SI_KERNEL, si_addr 0  | port.c    |
 *
 * entry.c asks them in that order (the window entry first), for the
 * signal that arrived; then stray.c refuses anything else that happened in
 * an entry page. The stubs live in entry pages (pages.c); Syscall User
 * Dispatch is sud.c, and the ordinary system calls it catches are run by
 * forward.c. Every call entry ends in enter.c, which hands the call to
 * dispatch; the two window entries decode the instruction (emulate*.c)
 * and hand it to dispatch's restore mode, which carries it out in normal
 * context (window_job.c).
 *
 * A signal no entry claims is a crash of the simulated process running an
 * export on that thread, or goes to the program's own handler. */
#ifndef PF_ENTRY_H
#define PF_ENTRY_H

/* Install the handler (once, from pf_init), remembering the program's. */
int entry_install(void);

#endif
