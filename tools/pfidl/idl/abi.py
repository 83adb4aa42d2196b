"""Where System V x86-64 puts each argument: which registers, or where in the
stack-argument area (the bytes above the return address that pfipc copies).

The rules come from the System V AMD64 psABI, section 3.2.3 "Parameter
Passing". Only what the IDL can express is handled: no vectors, __int128,
complex types, bit-fields or packed structs.
"""

from dataclasses import dataclass
from typing import Optional

from .types import Array, Pointer, Struct, round_up

INT_REGS = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"]
SSE_REG_COUNT = 8

INTEGER, SSE, X87, X87UP, MEMORY, NO_CLASS = (
    "INTEGER", "SSE", "X87", "X87UP", "MEMORY", "NO_CLASS")


@dataclass
class ArgLoc:
    """One argument: in registers (one per eightbyte, in order) or on the
    stack at a byte offset from the start of the stack-argument area."""
    regs: list                 # [('int', n) | ('sse', n)]
    stack: Optional[int] = None

    @property
    def on_stack(self):
        return self.stack is not None

    def word(self):
        """PF_ARG_REG / PF_ARG_STACK operand of an 8-byte argument."""
        if self.on_stack:
            return ("stack", self.stack // 8)
        kind, n = self.regs[0]
        assert kind == "int" and len(self.regs) == 1
        return ("reg", n)

    def describe(self):
        if self.on_stack:
            return f"stack+{self.stack}"
        return ":".join(INT_REGS[n] if kind == "int" else f"xmm{n}"
                        for kind, n in self.regs)


@dataclass
class CallLayout:
    hidden_ret: bool           # the result is written through a pointer in rdi
    args: list                 # ArgLoc per parameter
    stack_bytes: int           # size of the stack-argument area


def _merge(a, b):
    """psABI 3.2.3 step 4: the class of an eightbyte holding fields of both."""
    if a == b:
        return a
    if a == NO_CLASS:
        return b
    if b == NO_CLASS:
        return a
    if MEMORY in (a, b):
        return MEMORY
    if INTEGER in (a, b):
        return INTEGER
    if {a, b} & {X87, X87UP}:
        return MEMORY
    return SSE


def _leaves(t, offset):
    """Every scalar inside T with its byte offset, arrays unrolled."""
    if isinstance(t, Struct):
        for f in t.fields:
            yield from _leaves(f.type, offset + f.offset)
    elif isinstance(t, Array):
        for i in range(t.count):
            yield from _leaves(t.elem, offset + i * t.elem.size)
    else:
        yield t, offset


def _scalar_classes(t):
    if isinstance(t, Pointer) or t.abi == INTEGER:
        return [INTEGER]
    if t.abi == SSE:
        return [SSE]
    if t.abi == X87:
        return [X87, X87UP]
    raise ValueError(f"cannot pass {t.c}")


def classify(t):
    """The class of each eightbyte of T, or [MEMORY]."""
    if not isinstance(t, Struct):
        return _scalar_classes(t)
    # Larger than two eightbytes: always memory (we have no vector types).
    if t.size > 16:
        return [MEMORY]
    classes = [NO_CLASS] * (round_up(t.size, 8) // 8)
    for leaf, offset in _leaves(t, 0):
        if offset % leaf.align:
            return [MEMORY]  # an unaligned field
        for k, c in enumerate(_scalar_classes(leaf)):
            i = offset // 8 + k
            classes[i] = _merge(classes[i], c)
    # Post-merger cleanup (step 5): MEMORY anywhere, or an X87UP not
    # following X87, sends the whole struct to memory.
    if MEMORY in classes:
        return [MEMORY]
    for i, c in enumerate(classes):
        if c == X87UP and (i == 0 or classes[i - 1] != X87):
            return [MEMORY]
    return classes


def classify_argument(t):
    """As classify, but X87 and X87UP are passed in memory (long double)."""
    classes = classify(t)
    if X87 in classes or X87UP in classes:
        return [MEMORY]
    return classes


def returns_in_memory(t):
    """True when the caller passes a hidden result pointer in rdi."""
    return isinstance(t, Struct) and classify(t) == [MEMORY]


def lay_out_call(ret, params):
    """Place PARAMS (their types, in order) as a caller does."""
    hidden_ret = returns_in_memory(ret)
    next_int, next_sse, stack = (1 if hidden_ret else 0), 0, 0
    locs = []
    for t in params:
        classes = classify_argument(t)
        need_int = classes.count(INTEGER)
        need_sse = classes.count(SSE)
        # An argument goes in registers only if all its eightbytes fit;
        # otherwise all of it goes on the stack, and later arguments may
        # still take the registers it left free.
        if (classes != [MEMORY] and next_int + need_int <= len(INT_REGS)
                and next_sse + need_sse <= SSE_REG_COUNT):
            regs = []
            for c in classes:
                if c == INTEGER:
                    regs.append(("int", next_int))
                    next_int += 1
                else:
                    regs.append(("sse", next_sse))
                    next_sse += 1
            locs.append(ArgLoc(regs))
        else:
            # Each stack argument starts at a multiple of 8, or of 16 when
            # its type needs that (long double, structs holding one), and
            # takes a whole number of 8-byte words.
            stack = round_up(stack, max(8, t.align))
            locs.append(ArgLoc([], stack))
            stack += round_up(t.size, 8)
    return CallLayout(hidden_ret, locs, stack)


def lay_out_function(fn):
    return lay_out_call(fn.ret, [p.type for p in fn.params])
