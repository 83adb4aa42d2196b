"""Decide, for every symbol the library exports, whether the shim serves it
from the library's process, and with how many bytes of stack arguments.

Every symbol ends up either served or refused with a reason; nothing is left
out silently.
"""

import re
from dataclasses import dataclass
from typing import Optional

from .pfidl_abi import lay_out_call, returns_in_memory

MAX_STACK_BYTES = 512      # PF_MAX_STACK_BYTES
MAX_IMPORTS = 256          # imports per process (lib/limits.h LIMIT_IMPORTS)
NAME_PART = re.compile(r"^[A-Za-z0-9_]{1,63}$")   # one part of "ns.fn"

VARIADIC = ("variadic: the bytes of arguments a call leaves on the stack "
            "differ from call to call, and an export declares one fixed count")


@dataclass
class Decision:
    name: str
    served: bool
    reason: str = ""               # why refused, or a note on a served one
    stack_bytes: int = 0
    spelled: Optional[str] = None  # the prototype, for the report


def _refuse(name, reason, spelled=None):
    return Decision(name, False, reason, spelled=spelled)


def decide(symbols, probe, closure, only=None):
    """SYMBOLS: the library's defined dynamic symbols (elf.DynSymbol)."""
    out = []
    default_names = {s.name for s in symbols if not s.hidden}
    for s in sorted(symbols, key=lambda s: (s.name, s.hidden)):
        if s.absolute:
            continue        # a version node's own name, not a symbol
        out.append(_decide_one(s, default_names, probe, closure, only))
    return out


def _decide_one(s, default_names, probe, closure, only):
    name = s.name
    if s.kind not in ("FUNC", "IFUNC"):
        what = "thread-local data" if s.kind == "TLS" else f"data ({s.kind})"
        return _refuse(name, f"{what}, not a function: a shim can only forward calls")
    if s.hidden:
        tail = " (the default version is served)" if name in default_names else ""
        return _refuse(f"{name}@{s.version}",
                       f"an older version of the symbol; only default versions are wrapped{tail}")
    if only is not None and name not in only:
        return _refuse(name, "not in --only")
    if name in ("_init", "_fini"):
        return _refuse(name, "a loader hook, not part of the library's interface")
    if name.startswith(("pf_", "pfwrap_")):
        return _refuse(name, "clashes with pfipc's own names")
    if name in closure.importers:
        return _refuse(name, f"{closure.importers[name]} imports it: the shim would "
                             "send pfipc's own calls through pfipc")
    if not NAME_PART.match(name):
        return _refuse(name, "not a valid pfipc export name (1 to 63 of [A-Za-z0-9_])")
    if name in probe.macros:
        return _refuse(name, "the header #defines it as a macro, so its prototype "
                             "cannot be read under this name")
    if name in probe.not_functions:
        return _refuse(name, f"the header declares it as {probe.not_functions[name]}, "
                             "not a function")
    proto = probe.prototypes.get(name)
    if proto is None:
        return _refuse(name, "no prototype in the header (with these --cflags)")
    if not proto.prototyped:
        return _refuse(name, "declared without a prototype: its arguments are unknown",
                       proto.spelled)
    if proto.variadic:
        return _refuse(name, VARIADIC, proto.spelled)
    if proto.problem:
        return _refuse(name, f"cannot classify {proto.problem}", proto.spelled)
    layout = lay_out_call(proto.ret, proto.params)
    if layout.stack_bytes > MAX_STACK_BYTES:
        return _refuse(name, f"takes {layout.stack_bytes} bytes of stack arguments; "
                             f"a call carries at most {MAX_STACK_BYTES}", proto.spelled)
    note = ""
    if returns_in_memory(proto.ret) and not proto.ret_complex_x87:
        note = (f"returns a {proto.ret.size}-byte struct in memory: the server writes it "
                "through the caller's hidden pointer (rdi), which works only because "
                "all processes share one address space")
    return Decision(name, True, note, layout.stack_bytes, proto.spelled)


def check_capacity(decisions):
    served = [d for d in decisions if d.served]
    if len(served) > MAX_IMPORTS:
        return (f"{len(served)} functions to serve, but a process holds at most "
                f"{MAX_IMPORTS} imports: choose some with --only")
    return None
