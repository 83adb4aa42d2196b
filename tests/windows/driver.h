/* Driver-style code for the compiled-code matrix: a device's registers as
 * a driver declares them, and scenarios that use them the ways drivers do
 * (loads and stores of every width, signed and unsigned, bit-fields,
 * |= and &=, atomics, memcpy of 1 to 256 bytes both ways, struct copies).
 * driver.c is built by gcc and clang at -O0, -O2 and -Os; window_matrix.c
 * runs each build's scenarios against a window and against memory. */
#ifndef PF_TEST_DRIVER_H
#define PF_TEST_DRIVER_H

#include <stdint.h>

struct desc {
	uint32_t addr, len;
	uint16_t flags, id;
};

struct cfg {
	uint32_t mode : 3, enable : 1, irq : 4, prescale : 8, reserved : 16;
};

struct dev_regs {
	uint8_t status;          /* 0 */
	int8_t temp;             /* 1: signed */
	uint16_t divisor;        /* 2 */
	int16_t offset;          /* 4: signed */
	uint16_t spare;          /* 6 */
	uint32_t control;        /* 8 */
	int32_t level;           /* 12: signed */
	uint64_t counter;        /* 16 */
	int64_t position;        /* 24: signed */
	struct cfg cfg;          /* 32: bit-fields */
	uint32_t ier;            /* 36 */
	uint8_t pad[24];
	uint8_t fifo[256];       /* 64 */
	struct desc desc[8];     /* 320 */
	uint8_t blob[512];       /* 416 */
};

/* R is the device (a window, or memory); RAM is the driver's own memory
 * (512 bytes): it reads its data there and leaves what it saw. Returns a
 * summary of the values it observed. */
typedef uint64_t scenario_fn(volatile struct dev_regs *r, uint8_t *ram);

struct scenario {
	const char *name;
	scenario_fn *fn;
};

extern const struct scenario driver_scenarios[];
extern const unsigned driver_nscenarios;

#endif
