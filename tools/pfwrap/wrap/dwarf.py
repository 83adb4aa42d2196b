"""A small DWARF (versions 2 to 5) reader: the tree of debugging entries of
a linked object, with their attributes, so that the types of a compiled
prototype can be read back.

Only .debug_info, .debug_abbrev and the string sections are read; a linked
object (not a .o) is expected, so no relocations need applying. The form
and tag numbers are those of the DWARF 5 standard, sections 7.5.4-7.5.6.
"""

import struct

from .elf import ElfError

# Tags (DWARF 5 table 7.3).
TAG = dict(array_type=0x01, enumeration_type=0x04, formal_parameter=0x05,
           member=0x0d, pointer_type=0x0f, reference_type=0x10,
           compile_unit=0x11, structure_type=0x13, subroutine_type=0x15,
           typedef=0x16, union_type=0x17, unspecified_parameters=0x18,
           ptr_to_member_type=0x1f, subrange_type=0x21, base_type=0x24,
           const_type=0x26, variable=0x34, volatile_type=0x35,
           restrict_type=0x37, unspecified_type=0x3b, partial_unit=0x3c,
           atomic_type=0x47, rvalue_reference_type=0x42)
TAG_NAME = {v: k for k, v in TAG.items()}

# Attributes (table 7.5).
AT = dict(name=0x03, byte_size=0x0b, bit_offset=0x0c, bit_size=0x0d,
          prototyped=0x27, upper_bound=0x2f, count=0x37,
          data_member_location=0x38, declaration=0x3c, encoding=0x3e,
          type=0x49, data_bit_offset=0x6b, str_offsets_base=0x72,
          alignment=0x88, GNU_vector=0x2107)

# Base type encodings (table 7.11).
ATE = dict(boolean=0x02, complex_float=0x03, float=0x04, signed=0x05,
           signed_char=0x06, unsigned=0x07, unsigned_char=0x08, UTF=0x10)

DW_OP_plus_uconst = 0x23


class DwarfError(ElfError):
    pass


class Reader:
    def __init__(self, data, at=0):
        self.d, self.at = data, at

    def u(self, fmt):
        v = struct.unpack_from("<" + fmt, self.d, self.at)
        self.at += struct.calcsize("<" + fmt)
        return v[0]

    def uleb(self):
        result = shift = 0
        while True:
            b = self.d[self.at]
            self.at += 1
            result |= (b & 0x7f) << shift
            shift += 7
            if b < 0x80:
                return result

    def sleb(self):
        result = shift = 0
        while True:
            b = self.d[self.at]
            self.at += 1
            result |= (b & 0x7f) << shift
            shift += 7
            if b < 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result

    def cstr(self):
        end = self.d.index(b"\0", self.at)
        s = self.d[self.at:end].decode("utf-8", "replace")
        self.at = end + 1
        return s

    def take(self, n):
        b = self.d[self.at:self.at + n]
        self.at += n
        return b


class Die:
    """One debugging entry: its tag, attributes {code: value} (references
    already made absolute offsets in .debug_info), and children."""
    __slots__ = ("offset", "tag", "attrs", "children", "unit")

    def __init__(self, offset, tag, unit):
        self.offset, self.tag, self.unit = offset, tag, unit
        self.attrs, self.children = {}, []

    def get(self, name, default=None):
        return self.attrs.get(AT[name], default)

    @property
    def name(self):
        v = self.get("name")
        return self.unit.string(v) if v is not None else None

    def type_ref(self):
        return self.get("type")


class Unit:
    def __init__(self, dwarf, version, offset_size, addr_size):
        self.dwarf = dwarf
        self.version, self.offset_size, self.addr_size = version, offset_size, addr_size
        self.str_offsets_base = 8 if version >= 5 else 0

    def string(self, value):
        """A string attribute's value: ('str', s) inline, ('strp', off),
        ('line_strp', off) or ('strx', index)."""
        kind, v = value
        if kind == "str":
            return v
        if kind == "strp":
            return self.dwarf.string_at("debug_str", v)
        if kind == "line_strp":
            return self.dwarf.string_at("debug_line_str", v)
        table = self.dwarf.sections.get("debug_str_offsets")
        if table is None:
            raise DwarfError("a string index without .debug_str_offsets")
        fmt = "<Q" if self.offset_size == 8 else "<I"
        off = struct.unpack_from(fmt, table, self.str_offsets_base + v * self.offset_size)[0]
        return self.dwarf.string_at("debug_str", off)


class Dwarf:
    def __init__(self, elf):
        self.sections = {}
        for name in ("debug_info", "debug_abbrev", "debug_str",
                     "debug_line_str", "debug_str_offsets"):
            b = elf.section_bytes("." + name)
            if b is not None:
                self.sections[name] = b
        if "debug_info" not in self.sections:
            raise DwarfError(f"{elf.path}: no DWARF debugging information")
        self.dies = {}           # offset -> Die
        self.roots = []          # unit DIEs
        self._abbrev_cache = {}
        self._read_units()

    def string_at(self, section, off):
        d = self.sections[section]
        end = d.index(b"\0", off)
        return d[off:end].decode("utf-8", "replace")

    def _abbrevs(self, off):
        if off in self._abbrev_cache:
            return self._abbrev_cache[off]
        r = Reader(self.sections["debug_abbrev"], off)
        table = {}
        while True:
            code = r.uleb()
            if code == 0:
                break
            tag = r.uleb()
            has_children = r.u("B")
            specs = []
            while True:
                at, form = r.uleb(), r.uleb()
                if at == 0 and form == 0:
                    break
                implicit = r.sleb() if form == 0x21 else None
                specs.append((at, form, implicit))
            table[code] = (tag, has_children, specs)
        self._abbrev_cache[off] = table
        return table

    def _read_units(self):
        info = self.sections["debug_info"]
        at = 0
        while at < len(info):
            r = Reader(info, at)
            length = r.u("I")
            offset_size = 4
            if length == 0xffffffff:
                length, offset_size = r.u("Q"), 8
            end = r.at + length
            version = r.u("H")
            if version >= 5:
                unit_type = r.u("B")
                addr_size = r.u("B")
                abbrev_off = r.u("Q" if offset_size == 8 else "I")
                if unit_type not in (0x01, 0x03):   # compile, partial
                    at = end
                    continue
            elif version >= 2:
                abbrev_off = r.u("Q" if offset_size == 8 else "I")
                addr_size = r.u("B")
            else:
                raise DwarfError(f"DWARF version {version} is not supported")
            unit = Unit(self, version, offset_size, addr_size)
            self._read_dies(r, end, at, unit, self._abbrevs(abbrev_off))
            at = end

    def _read_dies(self, r, end, unit_start, unit, abbrevs):
        stack = []
        while r.at < end:
            offset = r.at
            code = r.uleb()
            if code == 0:
                if stack:
                    stack.pop()
                continue
            tag, has_children, specs = abbrevs[code]
            die = Die(offset, tag, unit)
            for at, form, implicit in specs:
                die.attrs[at] = self._value(r, form, implicit, unit, unit_start)
            if tag in (TAG["compile_unit"], TAG["partial_unit"]):
                base = die.attrs.get(AT["str_offsets_base"])
                if base is not None:
                    unit.str_offsets_base = base
            self.dies[offset] = die
            if stack:
                stack[-1].children.append(die)
            else:
                self.roots.append(die)
            if has_children:
                stack.append(die)

    def _value(self, r, form, implicit, unit, unit_start):
        off = "Q" if unit.offset_size == 8 else "I"
        if form == 0x16:                         # indirect
            return self._value(r, r.uleb(), implicit, unit, unit_start)
        fixed = {0x0b: "B", 0x05: "H", 0x06: "I", 0x07: "Q", 0x0c: "B"}
        if form in fixed:                        # data1/2/4/8, flag
            return r.u(fixed[form])
        if form == 0x01:                         # addr
            return r.u("Q" if unit.addr_size == 8 else "I")
        if form == 0x0d:                         # sdata
            return r.sleb()
        if form == 0x0f:                         # udata
            return r.uleb()
        if form == 0x19:                         # flag_present
            return 1
        if form == 0x21:                         # implicit_const
            return implicit
        if form == 0x08:                         # string
            return ("str", r.cstr())
        if form == 0x0e:                         # strp
            return ("strp", r.u(off))
        if form == 0x1f:                         # line_strp
            return ("line_strp", r.u(off))
        if form in (0x1a, 0x1f02):               # strx, GNU_str_index
            return ("strx", r.uleb())
        strx = {0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4}
        if form in strx:                         # strx1..4
            return ("strx", int.from_bytes(r.take(strx[form]), "little"))
        refs = {0x11: "B", 0x12: "H", 0x13: "I", 0x14: "Q"}
        if form in refs:                         # ref1/2/4/8: unit-relative
            return unit_start + r.u(refs[form])
        if form == 0x15:                         # ref_udata
            return unit_start + r.uleb()
        if form == 0x10:                         # ref_addr
            return r.u(off if unit.version >= 3 else "Q")
        if form in (0x17, 0x1d, 0x1f20, 0x1f21):  # sec_offset, strp_sup, alt
            return r.u(off)
        if form in (0x18, 0x09):                 # exprloc, block
            return r.take(r.uleb())
        blocks = {0x0a: "B", 0x03: "H", 0x04: "I"}
        if form in blocks:                       # block1/2/4
            return r.take(r.u(blocks[form]))
        if form == 0x1e:                         # data16
            return r.take(16)
        if form in (0x20, 0x24):                 # ref_sig8, ref_sup8
            return r.u("Q")
        if form == 0x1c:                         # ref_sup4
            return r.u("I")
        if form in (0x1b, 0x22, 0x23, 0x1f01):   # addrx, loclistx, rnglistx
            return r.uleb()
        addrx = {0x29: 1, 0x2a: 2, 0x2b: 3, 0x2c: 4}
        if form in addrx:
            return int.from_bytes(r.take(addrx[form]), "little")
        raise DwarfError(f"unknown DWARF form 0x{form:x}")

    def die(self, offset):
        return self.dies[offset]

    def variables(self):
        """Every variable at the top level of every unit, by name."""
        out = {}
        for root in self.roots:
            for d in root.children:
                if d.tag == TAG["variable"] and d.name:
                    out[d.name] = d
        return out


def member_offset(die):
    """A member's byte offset: a constant, or (DWARF 2) a location
    expression DW_OP_plus_uconst N."""
    v = die.get("data_member_location")
    if v is None:
        return None
    if isinstance(v, int):
        return v
    r = Reader(v)
    if r.u("B") != DW_OP_plus_uconst:
        raise DwarfError("a member location that is not a constant")
    return r.uleb()
