/* What the threads of an OS process that is gone leave behind.
 *
 * A thread of an isolated process can die at any instruction, with its
 * whole OS process (a crash there, abort(), _exit(), kill -9). The calls
 * it was serving must still be answered, the exports it was running
 * freed, and the calls it had made given up, so that nobody waits for it
 * and no message of it is written into after its record is reused. Its
 * record (proc/thread.h) says what it was doing; these run in the
 * program, in normal context, once the OS process has been reaped. */
#ifndef PF_VANISH_H
#define PF_VANISH_H

#include <stdbool.h>

struct pf_thread;

/* Answer every call T was serving, or had taken off its queue, with
 * -EOWNERDEAD and a detail saying that its process crashed (WHY: "killed
 * by signal 9", "signal 11 at 0x10 (rip ...)"), and release the exports
 * T was running. Do this for every thread of the OS process first: a
 * call one of them made may be running on another. */
void vanish_answer_served(struct pf_thread *t, const char *why);

/* Give up every call T had made and not seen answered. True when T's
 * record can be used again; false when a callee was still copying results
 * into one of its messages (the record is then left alone, a leak). */
bool vanish_give_up_calls(struct pf_thread *t);

#endif
