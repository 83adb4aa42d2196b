/* Entry pages: one executable area of stubs per entry mechanism, one stub
 * per (process, slot), found by arithmetic as gates are. A stub is what a
 * program calls to enter pfipc through that mechanism:
 *
 *   trap     int3 (the whole stub is int3: a jump into its middle traps too)
 *   ud2      ud2
 *   int      shl $32,%rax; or $nr,%rax; int $V; ret
 *   syscall  shl $32,%rax; or $nr,%rax; mov %rcx,%r10; syscall;
 *            test %r11,%r11; jnz 1f; ret; 1: ud2
 *   int80    movzbl %al,%r11d; or $0x100,%r11d; mov $nr,%eax; int $0x80;
 *            test %r11,%r11; jnz 1f; ret; 1: ud2
 *
 * The numbered stubs carry al (vector registers used, for a variadic
 * callee) next to the number: in bits 32..39 of rax, or in r11 for
 * int $0x80, whose entry keeps only eax. A dispatched call comes back with
 * r11 zero (the trampoline clears it); a real system call leaves r11
 * non-zero (rflags, whose bit 1 is always set, after `syscall`; r11 itself
 * after `int $0x80`), so a syscall that the kernel ran instead of
 * dispatching it reaches the ud2 mark and is refused with one line rather
 * than returning -ENOSYS as if it were the callee's result.
 *
 * W^X: the area is reserved PROT_NONE; a process's stubs of one kind are
 * written the first time one of them is handed out (normal context): made
 * writable, filled, made executable, and only then published. Everything
 * past a stub's code is int3, so a jump into the middle of any stub traps. */
#ifndef PF_PAGES_H
#define PF_PAGES_H

#include <stdbool.h>
#include <stdint.h>

enum stub_kind {
	STUB_TRAP,
	STUB_UD2,
	STUB_INT,
	STUB_SYSCALL,
	STUB_INT80,
	STUB_KINDS,
};

#define STUB_STRIDE        32u  /* bytes between two stubs */
#define STUB_INT_AT        10u  /* int stub: the int $V */
#define STUB_SYSCALL_MARK  21u  /* syscall stub: the ud2 an undispatched call reaches */
#define STUB_INT80_MARK    24u  /* int80 stub: the same */

struct stub_place {
	bool inside;           /* in an entry page at all */
	enum stub_kind kind;
	unsigned process;      /* the importer's table index */
	unsigned slot;
	unsigned offset;       /* bytes into the stub */
};

/* Where ADDR is among the entry pages, by arithmetic. Handler-safe. */
struct stub_place pages_classify(uintptr_t addr);

/* The stub of KIND for slot SLOT of process PROCESS, which must have been
 * prepared. */
uintptr_t pages_stub(enum stub_kind kind, unsigned process, unsigned slot);

/* Write PROCESS's stubs of KIND unless they exist (normal context).
 * 0, -ENOMEM (the area could not be reserved) or an mprotect error. */
int pages_prepare(enum stub_kind kind, unsigned process);

/* "trap", "ud2", "int", "syscall", "int $0x80": for diagnostics. */
const char *pages_kind_name(enum stub_kind kind);

/* The vector the int stubs use (0x81 unless set). Handler-safe. */
unsigned pages_int_vector(void);
/* Use VECTOR for the int stubs: 0, or -EBUSY once int stubs with another
 * vector have been written. */
int pages_set_int_vector(unsigned vector);

#endif
