#ifndef ENTRY_SITES_H
#define ENTRY_SITES_H

/* What the raw sites put in the red zone and in callee-saved registers,
 * and what they return when any of it changed across the entry. */
#define SITE_GUARD(i)   (0x5a5a000000000000L + (long)(i) * 0x0101010101L)
#define SITE_CLOBBERED  (-999999L)

typedef long entry4_fn(long, long, long, long);

extern const _Bool site_sanitized;   /* built with AddressSanitizer */

long site_raw_syscall(int nr, long a, long b, long c, long d);
long site_raw_int(int nr, long a, long b, long c, long d);
long site_raw_int80(int nr, long a, long b, long c, long d);
double site_raw_syscall_variadic(int nr);
double site_raw_int_variadic(int nr);
double site_raw_int80_variadic(int nr);
long site_stub_call(entry4_fn *stub, long a, long b, long c, long d);
long site_stub_tail(entry4_fn *stub, long a, long b, long c, long d);

#endif
