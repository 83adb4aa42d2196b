#ifndef SITES_H
#define SITES_H

long site_slot_call(long (*const *slot)(long, long), long a, long b);
long site_slot_tail(long (*const *slot)(long, long), long a, long b);
long site_gate_call(long (*fn)(long, long), long a, long b);
long site_gate_tail(long (*fn)(long, long), long a, long b);

#endif
