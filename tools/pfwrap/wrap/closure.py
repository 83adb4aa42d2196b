"""What pfipc itself calls: the libraries libpfipc loads, and every symbol
they import.

A shim defines the wrapped library's symbol names in the program's global
scope, ahead of the real library. If libpfipc, or anything it loads
(Capstone, libsigsegv, libc, the dynamic loader), imported one of those
names, the dynamic linker would bind pfipc's own call to the shim's stub: the
fault handler's helpers would fault into themselves. So those names are never
wrapped, and a library pfipc loads is never wrapped at all.
"""

import os
import re
import subprocess
from dataclasses import dataclass, field

from .elf import Elf, ElfError

# What the shim's runtime (tools/pfwrap/runtime) calls besides pfipc: the
# same reasoning applies to it. tests/pfwrap checks this list against the
# built shim's undefined symbols.
RUNTIME_IMPORTS = {
    "abort", "atexit", "dladdr", "dlerror", "dlopen", "dlsym", "fclose",
    "fopen", "fprintf", "fputs", "free", "getenv", "malloc", "calloc",
    "pthread_atfork", "pthread_getspecific", "pthread_key_create",
    "pthread_mutex_lock", "pthread_mutex_unlock", "pthread_once",
    "pthread_setspecific", "snprintf", "stderr", "strerror", "strlen",
    "program_invocation_short_name", "__stack_chk_fail", "__cxa_finalize",
    "__tls_get_addr", "_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable",
    "__gmon_start__", "exit", "_exit", "memcpy", "fopen64", "strcmp",
    "__register_atfork", "__progname",
}


@dataclass
class Closure:
    libraries: dict = field(default_factory=dict)   # soname/basename -> path
    importers: dict = field(default_factory=dict)   # symbol -> who imports it


def _ldd(path):
    """The libraries PATH loads, as the dynamic loader resolves them."""
    p = subprocess.run(["ldd", path], capture_output=True, text=True)
    if p.returncode != 0:
        raise ElfError(f"ldd {path} failed: {p.stderr.strip() or p.stdout.strip()}")
    libs = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(\S+)\s+\(", line)
        if m:
            libs[m.group(1)] = m.group(2)
            continue
        m = re.match(r"\s*(/\S+)\s+\(", line)      # the loader itself
        if m:
            libs[os.path.basename(m.group(1))] = m.group(1)
    return libs


def pfipc_closure(libpfipc):
    c = Closure()
    c.libraries = {os.path.basename(libpfipc): libpfipc}
    c.libraries.update(_ldd(libpfipc))
    for sym in Elf(libpfipc).undefined_names():
        c.importers[sym] = "libpfipc"
    for name, path in c.libraries.items():
        for sym in sorted(Elf(path).undefined_names()):
            c.importers.setdefault(sym, f"{name}, which libpfipc loads,")
    for sym in RUNTIME_IMPORTS:
        c.importers.setdefault(sym, "the shim's runtime")
    return c


def same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def loaded_by_pfipc(closure, library):
    """The name under which pfipc loads LIBRARY, or None."""
    for name, path in closure.libraries.items():
        if same_file(path, library):
            return name
    return None
