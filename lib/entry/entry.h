/* The ways into pfipc's "kernel": one signal handler in front of every
 * entry, and the per-thread set-up the handlers need.
 *
 * | entry     | what the program executes        | delivered as      |
 * |-----------|----------------------------------|-------------------|
 * | gate      | call *%reg to a PROT_NONE gate   | SIGSEGV, fetch    |
 * | slot      | call/jmp [slot], mov reg,[slot]  | SIGSEGV, data     |
 *
 * A fault no entry claims is a crash of the simulated process running an
 * export on that thread, or goes to the program's own handler. */
#ifndef PF_ENTRY_H
#define PF_ENTRY_H

/* Install the handler (once, from pf_init), remembering the program's. */
int entry_install(void);

#endif
