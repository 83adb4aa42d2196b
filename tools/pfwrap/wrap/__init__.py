"""pfwrap: serve an unmodified shared library from a pfipc process.

Modules, in the order data flows through them: elf (the library's symbols),
closure (what pfipc itself calls), prototypes (the header, read through the
compiler's DWARF) with dwarf, plan (serve or refuse each symbol, stack
bytes), generate (the shim's sources).
"""
