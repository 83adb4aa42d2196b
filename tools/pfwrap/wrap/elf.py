"""Just enough of ELF64 (little-endian, x86-64) to read a shared library's
dynamic symbols with their versions, its DT_NEEDED and DT_SONAME, and the
sections DWARF lives in.

Python's standard library has no ELF reader, and the structures needed here
are small and fixed by the System V gABI, so they are read directly.
"""

import struct
import zlib
from dataclasses import dataclass

SHT_DYNSYM, SHT_DYNAMIC = 11, 6
SHT_GNU_VERSYM, SHT_GNU_VERDEF = 0x6fffffff, 0x6ffffffd
SHF_COMPRESSED = 0x800
DT_NULL, DT_NEEDED, DT_SONAME = 0, 1, 14
SHN_UNDEF, SHN_ABS = 0, 0xfff1
STT_NAMES = {0: "NOTYPE", 1: "OBJECT", 2: "FUNC", 3: "SECTION", 4: "FILE",
             5: "COMMON", 6: "TLS", 10: "IFUNC"}
STB_LOCAL = 0
VERSYM_HIDDEN = 0x8000


class ElfError(Exception):
    pass


@dataclass
class Section:
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    entsize: int


@dataclass
class DynSymbol:
    name: str
    kind: str        # STT_NAMES value
    defined: bool
    absolute: bool
    binding: int
    version: str     # "" when the symbol has no version of its own
    hidden: bool     # a non-default version (name@VER, not name@@VER)


class Elf:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF":
            raise ElfError(f"{path}: not an ELF file")
        if d[4] != 2 or d[5] != 1:
            raise ElfError(f"{path}: not a 64-bit little-endian ELF file")
        (self.type, machine, _, _, _, shoff, _, _, _, _, shentsize, shnum,
         shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", d, 16)
        if machine != 62:
            raise ElfError(f"{path}: not an x86-64 object")
        raw = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
               for i in range(shnum)]
        names_at = raw[shstrndx][4] if shnum else 0
        self.sections = [
            Section(self._cstr(names_at + r[0]), r[1], r[2], r[4], r[5], r[6], r[9])
            for r in raw]

    def _cstr(self, at):
        end = self.data.index(b"\0", at)
        return self.data[at:end].decode("utf-8", "replace")

    def section(self, name):
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def section_bytes(self, name):
        """The section's contents (decompressed if SHF_COMPRESSED), or None."""
        s = self.section(name)
        if s is None:
            return None
        raw = self.data[s.offset:s.offset + s.size]
        if s.flags & SHF_COMPRESSED:
            ch_type, _, ch_size, _ = struct.unpack_from("<IIQQ", raw, 0)
            if ch_type != 1:
                raise ElfError(f"{self.path}: {name} has an unknown compression")
            raw = zlib.decompress(raw[24:])
            assert len(raw) == ch_size
        return raw

    def _of_type(self, sh_type):
        return [s for s in self.sections if s.type == sh_type]

    def _strtab(self, sec):
        link = self.sections[sec.link]
        return lambda off: self._cstr(link.offset + off)

    def dynamic(self):
        """(needed list, soname or None) from the dynamic section."""
        needed, soname = [], None
        for sec in self._of_type(SHT_DYNAMIC):
            string = self._strtab(sec)
            for i in range(sec.size // 16):
                tag, val = struct.unpack_from("<qQ", self.data, sec.offset + 16 * i)
                if tag == DT_NULL:
                    break
                if tag == DT_NEEDED:
                    needed.append(string(val))
                elif tag == DT_SONAME:
                    soname = string(val)
        return needed, soname

    def _version_names(self):
        """Version index -> name, from .gnu.version_d."""
        names = {}
        for sec in self._of_type(SHT_GNU_VERDEF):
            string = self._strtab(sec)
            at = sec.offset
            while True:
                (_, _, ndx, cnt, _, aux, nxt) = struct.unpack_from(
                    "<HHHHIII", self.data, at)
                if cnt:
                    name_off, _ = struct.unpack_from("<II", self.data, at + aux)
                    names[ndx] = string(name_off)
                if not nxt:
                    break
                at += nxt
        return names

    def dynamic_symbols(self):
        syms = []
        secs = self._of_type(SHT_DYNSYM)
        if not secs:
            return syms
        sec = secs[0]
        string = self._strtab(sec)
        versym = self._of_type(SHT_GNU_VERSYM)
        vnames = self._version_names()
        count = sec.size // 24
        for i in range(1, count):
            name_off, info, _, shndx, _, _ = struct.unpack_from(
                "<IBBHQQ", self.data, sec.offset + 24 * i)
            binding, kind = info >> 4, info & 15
            if binding == STB_LOCAL:
                continue
            version, hidden = "", False
            if versym:
                v = struct.unpack_from("<H", self.data, versym[0].offset + 2 * i)[0]
                hidden = bool(v & VERSYM_HIDDEN)
                index = v & 0x7fff
                # 0 is local, 1 the base version: neither names a node of
                # its own.
                if index > 1 and shndx != SHN_UNDEF:
                    version = vnames.get(index, "")
            syms.append(DynSymbol(string(name_off), STT_NAMES.get(kind, str(kind)),
                                  shndx != SHN_UNDEF, shndx == SHN_ABS, binding,
                                  version, hidden))
        return syms

    def defined_symbols(self):
        return [s for s in self.dynamic_symbols() if s.defined]

    def undefined_names(self):
        return {s.name for s in self.dynamic_symbols() if not s.defined}
