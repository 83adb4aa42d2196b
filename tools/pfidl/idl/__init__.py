"""pfidl: reads an interface file, writes the C that imports and exports it.

Modules, in the order data flows through them: lexer, parser (with types and
model), check, abi, then the generators gen_types, gen_client, gen_server.
"""

from .abi import lay_out_function  # noqa: F401
from .check import check
from .errors import IdlError  # noqa: F401
from .parser import parse


def load(text, path):
    """Parse and check the interface in TEXT; raises IdlError."""
    iface = parse(text, path)
    check(iface)
    return iface
