"""What a parsed interface file says: structs and functions, with the place
in the file each came from so later checks can point at it."""

import os
from dataclasses import dataclass, field
from typing import Optional

# Per-function attributes and the pf_export flag each one sets.
ATTRIBUTES = {
    "reentrant": "PF_EXPORT_REENTRANT",
    "migrate": "PF_EXPORT_MIGRATE",
    "private": "PF_EXPORT_PRIVATE",
}

DIRECTIONS = {"in": "PF_BUF_IN", "out": "PF_BUF_OUT", "inout": "PF_BUF_INOUT"}


@dataclass
class Pos:
    line: int
    col: int


@dataclass
class Buffer:
    direction: str          # 'in', 'out' or 'inout'
    length: str             # name of the parameter holding its byte count
    length_pos: Pos
    max_len: int


@dataclass
class Param:
    name: str
    type: object            # for a buffer: a Pointer to its element type
    pos: Pos
    buffer: Optional[Buffer] = None


@dataclass
class Function:
    name: str
    ret: object
    params: list
    attrs: list
    pos: Pos

    @property
    def buffers(self):
        return [p for p in self.params if p.buffer]

    def param(self, name):
        return next((p for p in self.params if p.name == name), None)


@dataclass
class Interface:
    name: str
    path: str
    pos: Pos
    structs: list = field(default_factory=list)
    functions: list = field(default_factory=list)

    @property
    def source_name(self):
        return os.path.basename(self.path)
