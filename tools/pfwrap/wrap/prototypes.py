"""Read the prototypes a header declares, as the C compiler understands them.

Parsing C declarations by hand breaks on the first macro trick a real header
plays (zlib.h wraps every declaration in ZEXTERN/ZEXPORT/OF()). So the
compiler reads the header instead: pfwrap writes a probe file that includes
it and declares, for each function of interest, one pointer

    __typeof__(deflate) *pfwrap_probe_deflate;

and compiles it with -g into a small shared object. The DWARF the compiler
writes for those pointers describes each prototype completely: every
parameter's type with typedefs resolved down to base types, the size and
member offsets of every struct, and whether the function is variadic. This
works with gcc and clang alike and needs no debug information from the
library itself (Debian's libz has none).

The types are turned into pfidl's type objects, so that pfidl's System V
classification (tools/pfidl/idl/abi.py) lays out the call.
"""

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Optional

from . import dwarf as dw
from .elf import Elf
from .pfidl_abi import Array, Field, Pointer, SCALARS, Scalar, Struct, VOID

PROBE_PREFIX = "pfwrap_probe_"


class Unsupported(Exception):
    """A type pfwrap cannot classify for the System V call."""


@dataclass
class Prototype:
    name: str
    ret: object                   # a pfidl type (VOID for void)
    params: list                  # pfidl types
    spelled: str                  # for messages: "int (z_streamp, int)"
    variadic: bool = False
    prototyped: bool = True
    ret_complex_x87: bool = False  # long double _Complex: st0 and st1
    problem: Optional[str] = None  # why a type could not be classified


@dataclass
class ProbeResult:
    prototypes: dict = field(default_factory=dict)  # name -> Prototype
    not_functions: dict = field(default_factory=dict)  # name -> what it is
    undeclared: set = field(default_factory=set)
    macros: set = field(default_factory=set)


class CompilerError(Exception):
    pass


def _run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise CompilerError(f"{what} failed: {' '.join(cmd)}\n{p.stderr.strip()}")
    return p.stdout


def _include_lines(headers):
    """A header given as an existing file is included by its path; a bare
    name (zlib.h) through the compiler's search path, as a program would."""
    return "".join(f'#include "{os.path.abspath(h)}"\n' if os.path.isfile(h)
                   else f"#include <{h}>\n" for h in headers)


def object_like_macros(cc, cflags, headers, names, tmp):
    """Names the headers #define as object-like macros: __typeof__(NAME)
    would then read whatever the macro expands to (zlib.h, with
    _FILE_OFFSET_BITS=64, turns gzopen into gzopen64), not NAME itself."""
    src = os.path.join(tmp, "macros.c")
    with open(src, "w") as f:
        f.write(_include_lines(headers))
    out = _run(cc + cflags + ["-E", "-dM", src], "listing the header's macros")
    found = set()
    for line in out.splitlines():
        m = re.match(r"#define ([A-Za-z_][A-Za-z0-9_]*)(\(?)", line)
        if m and not m.group(2) and m.group(1) in names:
            found.add(m.group(1))
    return found


def mentioned(cc, cflags, headers, names, tmp):
    """Names that occur as identifiers in the preprocessed headers: only
    these can be declared there."""
    src = os.path.join(tmp, "mention.c")
    with open(src, "w") as f:
        f.write(_include_lines(headers))
    text = _run(cc + cflags + ["-E", "-P", src], "preprocessing the header")
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return {n for n in names if n in words}


def _compile_probe(cc, cflags, headers, names, tmp, tag):
    src = os.path.join(tmp, f"probe_{tag}.c")
    out = os.path.join(tmp, f"probe_{tag}.so")
    with open(src, "w") as f:
        f.write("/* One pointer per function: -g then describes each prototype. */\n")
        f.write(_include_lines(headers))
        for n in names:
            f.write(f"__typeof__({n}) *{PROBE_PREFIX}{n};\n")
    # The caller's flags come last, so that a -gdwarf-N among them wins.
    cmd = cc + ["-g", "-O0", "-fPIC", "-shared", "-nostdlib"] + cflags + [src, "-o", out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return (out if p.returncode == 0 else None), p.stderr


def probe(cc, cflags, headers, names):
    """Prototypes of NAMES (symbols of the library) as HEADERS declare them."""
    result = ProbeResult()
    with tempfile.TemporaryDirectory(prefix="pfwrap-") as tmp:
        result.macros = object_like_macros(cc, cflags, headers, set(names), tmp)
        candidates = sorted(mentioned(cc, cflags, headers, set(names), tmp) - result.macros)
        result.undeclared = set(names) - set(candidates) - result.macros
        so, err = _compile_probe(cc, cflags, headers, candidates, tmp, "all")
        if so is None:
            # Some name occurs in the header without being declared as
            # something __typeof__ accepts (a struct member, a label):
            # probe each alone to find which.
            good = []
            for i, n in enumerate(candidates):
                one, _ = _compile_probe(cc, cflags, headers, [n], tmp, str(i))
                if one is None:
                    result.undeclared.add(n)
                else:
                    good.append(n)
            if not good:
                raise CompilerError(f"the header does not compile:\n{err.strip()}")
            so, err = _compile_probe(cc, cflags, headers, good, tmp, "good")
            if so is None:
                raise CompilerError(f"probing the header failed:\n{err.strip()}")
        info = dw.Dwarf(Elf(so))
        variables = info.variables()
        for n in candidates:
            var = variables.get(PROBE_PREFIX + n)
            if var is None:
                continue     # refused as undeclared above
            _read_one(info, n, var, result)
    return result


def _strip(info, die):
    """Follow typedefs and qualifiers down to the type itself."""
    while die is not None and die.tag in (dw.TAG["typedef"], dw.TAG["const_type"],
                                          dw.TAG["volatile_type"], dw.TAG["restrict_type"],
                                          dw.TAG["atomic_type"]):
        ref = die.type_ref()
        die = info.die(ref) if ref is not None else None
    return die


def _read_one(info, name, var, result):
    ptr = info.die(var.type_ref())
    target = _strip(info, info.die(ptr.type_ref())) if ptr.type_ref() is not None else None
    if target is None or target.tag != dw.TAG["subroutine_type"]:
        result.not_functions[name] = (f"a {spell(info, target)}" if target is not None
                                      else "void")
        return
    params, variadic = [], False
    for child in target.children:
        if child.tag == dw.TAG["formal_parameter"]:
            params.append(info.die(child.type_ref()))
        elif child.tag == dw.TAG["unspecified_parameters"]:
            variadic = True
    ret_die = info.die(target.type_ref()) if target.type_ref() is not None else None
    # An unprototyped "int f()" has no DW_AT_prototyped; compilers mark its
    # parameters unspecified, as they do a variadic function's.
    prototyped = bool(target.get("prototyped")) or bool(params)
    listed = [spell(info, p) for p in params]
    if variadic and prototyped:
        listed.append("...")
    elif prototyped and not listed:
        listed = ["void"]
    spelled = f"{spell(info, ret_die)} ({', '.join(listed)})"
    proto = Prototype(name, VOID, [], spelled, variadic and prototyped, prototyped)
    try:
        conv = Converter(info)
        proto.ret = conv.convert(ret_die) if ret_die is not None else VOID
        stripped = _strip(info, ret_die)
        proto.ret_complex_x87 = (stripped is not None and stripped.tag == dw.TAG["base_type"]
                                 and stripped.get("encoding") == dw.ATE["complex_float"]
                                 and stripped.get("byte_size") == 32)
        for i, p in enumerate(params):
            try:
                proto.params.append(conv.convert(p))
            except Unsupported as e:
                raise Unsupported(f"argument {i + 1} ({spell(info, p)}): {e}")
    except Unsupported as e:
        proto.problem = str(e)
    result.prototypes[name] = proto


def spell(info, die):
    """A C-like spelling of a type, for messages only."""
    if die is None:
        return "void"
    tag, name = die.tag, die.name
    if tag in (dw.TAG["typedef"], dw.TAG["base_type"]):
        return name or "?"
    if tag in (dw.TAG["structure_type"], dw.TAG["union_type"], dw.TAG["enumeration_type"]):
        kw = {dw.TAG["structure_type"]: "struct", dw.TAG["union_type"]: "union",
              dw.TAG["enumeration_type"]: "enum"}[tag]
        return f"{kw} {name}" if name else f"{kw} <anonymous>"
    inner = info.die(die.type_ref()) if die.type_ref() is not None else None
    if tag == dw.TAG["pointer_type"]:
        t = _strip(info, inner)
        if t is not None and t.tag == dw.TAG["subroutine_type"]:
            return "function pointer"
        return spell(info, inner) + " *"
    if tag == dw.TAG["const_type"]:
        return "const " + spell(info, inner)
    if tag == dw.TAG["volatile_type"]:
        return "volatile " + spell(info, inner)
    if tag in (dw.TAG["restrict_type"], dw.TAG["atomic_type"]):
        return spell(info, inner)
    if tag == dw.TAG["array_type"]:
        return spell(info, inner) + "[]"
    if tag == dw.TAG["subroutine_type"]:
        return "function"
    return dw.TAG_NAME.get(tag, f"tag 0x{tag:x}")


def _integer(size):
    return Scalar(f"int{size * 8}", size, size, "INTEGER")


class Converter:
    """DWARF type entries -> pfidl type objects (Scalar, Pointer, Struct,
    Array), which is what pfidl's classifier reads."""

    def __init__(self, info):
        self.info = info
        self.structs = {}

    def convert(self, die):
        die = _strip(self.info, die)
        if die is None:
            return VOID
        tag = die.tag
        if tag in (dw.TAG["pointer_type"], dw.TAG["reference_type"],
                   dw.TAG["rvalue_reference_type"], dw.TAG["unspecified_type"]):
            return Pointer(None)
        if tag == dw.TAG["ptr_to_member_type"]:
            raise Unsupported("a pointer to member")
        if tag == dw.TAG["enumeration_type"]:
            return _integer(die.get("byte_size", 4))
        if tag == dw.TAG["base_type"]:
            return self._base(die)
        if tag in (dw.TAG["structure_type"], dw.TAG["union_type"]):
            return self._record(die)
        if tag == dw.TAG["array_type"]:
            if die.get("GNU_vector"):
                raise Unsupported("a vector type (passed in a vector register)")
            return self._array(die)
        if tag == dw.TAG["subroutine_type"]:
            return Pointer(None)     # a function parameter is a pointer
        raise Unsupported(f"DWARF type {dw.TAG_NAME.get(tag, hex(tag))}")

    def _base(self, die):
        enc, size, name = die.get("encoding"), die.get("byte_size", 0), die.name or ""
        if enc in (dw.ATE["boolean"], dw.ATE["signed"], dw.ATE["unsigned"],
                   dw.ATE["signed_char"], dw.ATE["unsigned_char"], dw.ATE["UTF"]):
            if size in (1, 2, 4, 8):
                return _integer(size)
            if size == 16:
                # __int128: two INTEGER eightbytes, 16-byte aligned in memory.
                return self._pair(f"__int128", _integer(8), 16)
            raise Unsupported(f"a {size}-byte integer")
        if enc == dw.ATE["float"]:
            if size == 4:
                return SCALARS["float"]
            if size == 8:
                return SCALARS["double"]
            if size == 16 and "long double" in name:
                return SCALARS["long double"]
            if size == 2:
                return Scalar("_Float16", 2, 2, "SSE")
            raise Unsupported(f"the floating type {name} (class SSE+SSEUP)")
        if enc == dw.ATE["complex_float"]:
            # psABI 3.2.3: a complex T is classified as a struct of two T.
            part = {8: SCALARS["float"], 16: SCALARS["double"],
                    32: SCALARS["long double"]}.get(size)
            if part is None:
                raise Unsupported(f"the complex type {name}")
            return self._pair(name, part, part.align)
        raise Unsupported(f"the base type {name} (encoding {enc})")

    @staticmethod
    def _pair(name, part, align):
        s = Struct(name, name, [Field("a", part, 0), Field("b", part, part.size)],
                   2 * part.size, align)
        return s

    def _array(self, die):
        elem = self.convert(self.info.die(die.type_ref()))
        count = 1
        dims = [c for c in die.children if c.tag == dw.TAG["subrange_type"]]
        for d in dims:
            n = d.get("count")
            if n is None:
                ub = d.get("upper_bound")
                n = ub + 1 if isinstance(ub, int) else 0
            count *= n
        if not dims:
            count = 0
        return Array(elem, count)

    def _record(self, die):
        if die.offset in self.structs:
            return self.structs[die.offset]
        if die.get("declaration"):
            raise Unsupported(f"an incomplete struct passed by value")
        name = die.name or "<anonymous>"
        s = Struct(name, name, [], die.get("byte_size", 0), 1)
        self.structs[die.offset] = s
        natural = 1
        for m in die.children:
            if m.tag != dw.TAG["member"]:
                continue
            t = self.convert(self.info.die(m.type_ref()))
            off = dw.member_offset(m) or 0
            bits = m.get("bit_size")
            if bits is not None:
                # A bit-field counts as its storage unit where it lies:
                # what matters for the class is which eightbyte holds it.
                bit = m.get("data_bit_offset")
                if bit is None:
                    bit = off * 8     # DWARF 2/3: byte offset of the unit
                unit = max(t.size, 1)
                off = (bit // (unit * 8)) * unit
            if t.size == 0 and isinstance(t, Array):
                continue              # a flexible array member adds nothing
            s.fields.append(Field(m.name or "", t, off))
            natural = max(natural, t.align)
        explicit = die.get("alignment")
        packed = any(f.offset % f.type.align for f in s.fields) or (s.size % natural)
        s.align = explicit or (1 if packed else natural)
        return s
