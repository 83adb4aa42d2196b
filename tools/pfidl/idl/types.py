"""The C types an interface may use, with their System V x86-64 size and
alignment (the LP64 data model)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scalar:
    c: str       # C spelling
    size: int
    align: int
    abi: str     # 'INTEGER', 'SSE', 'X87' (long double) or 'VOID'

    @property
    def is_integer(self):
        return self.abi == "INTEGER"


@dataclass(frozen=True)
class Pointer:
    target: object
    const: bool = False   # the target is const (a read-only buffer)
    size: int = 8
    align: int = 8
    abi: str = "INTEGER"
    is_integer: bool = False


@dataclass(frozen=True)
class Array:
    """A fixed-size array; only a struct field can be one."""
    elem: object
    count: int

    @property
    def size(self):
        return self.elem.size * self.count

    @property
    def align(self):
        return self.elem.align


@dataclass
class Field:
    name: str
    type: object
    offset: int = 0


@dataclass
class Struct:
    name: str             # as written in the interface file
    cname: str            # "struct <interface>_<name>" without "struct "
    fields: list = field(default_factory=list)
    size: int = 0
    align: int = 1
    abi: str = "STRUCT"
    is_integer: bool = False
    pos: object = None     # where the interface file declares it

    def lay_out(self):
        """Place fields as a C compiler does: each at the next multiple of its
        alignment, the whole rounded up to the largest alignment."""
        offset, align = 0, 1
        for f in self.fields:
            offset = round_up(offset, f.type.align)
            f.offset = offset
            offset += f.type.size
            align = max(align, f.type.align)
        self.align = align
        self.size = round_up(offset, align)

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


def round_up(n, to):
    return (n + to - 1) // to * to


def _int(c, size):
    return Scalar(c, size, size, "INTEGER")


# Every scalar the IDL accepts, keyed by its canonical C spelling. Aliases
# such as "unsigned" or "long int" are folded onto these by the parser.
SCALARS = {s.c: s for s in [
    _int("char", 1), _int("signed char", 1), _int("unsigned char", 1),
    _int("short", 2), _int("unsigned short", 2),
    _int("int", 4), _int("unsigned int", 4),
    _int("long", 8), _int("unsigned long", 8),
    _int("long long", 8), _int("unsigned long long", 8),
    _int("bool", 1),
    _int("int8_t", 1), _int("uint8_t", 1), _int("int16_t", 2),
    _int("uint16_t", 2), _int("int32_t", 4), _int("uint32_t", 4),
    _int("int64_t", 8), _int("uint64_t", 8),
    _int("size_t", 8), _int("ssize_t", 8),
    _int("intptr_t", 8), _int("uintptr_t", 8),
    Scalar("float", 4, 4, "SSE"), Scalar("double", 8, 8, "SSE"),
    Scalar("long double", 16, 16, "X87"),
    Scalar("void", 0, 1, "VOID"),
]}

VOID = SCALARS["void"]


def is_length_integer(t):
    """An integer pfipc can read a buffer's length from: 4 bytes (read as
    unsigned) or 8. The ABI leaves the upper bits of narrower integer
    arguments undefined, so they cannot be read reliably."""
    return isinstance(t, Scalar) and t.is_integer and t.size in (4, 8)
