"""Rules about a whole interface that the grammar alone cannot state."""

from .abi import lay_out_function
from .errors import IdlError
from .types import is_length_integer

# pfipc limits (include/pfipc.h): a name part is 1..63 characters, a call
# carries at most 512 stack bytes and 8 buffer parameters.
MAX_NAME = 63
MAX_STACK_BYTES = 512
MAX_BUFFER_PARAMS = 8

# Names the generated C uses beside <interface>_<function>.
GENERATED_SUFFIXES = {"client", "client_init", "client_import",
                      "server_register", "server_init"}


def check(iface):
    err = _Reporter(iface.path)
    if len(iface.name) > MAX_NAME:
        raise err.at(iface.pos, f"interface name '{iface.name}' is longer "
                     f"than {MAX_NAME} characters")
    if iface.name == "pf":
        raise err.at(iface.pos, "interface name 'pf' is reserved: pfipc's "
                     "own names start with pf_")
    for s in iface.structs:
        if s.name == "client":
            raise err.at(s.pos, "struct name 'client' is reserved for the "
                         "generated code")
    seen = {}
    for fn in iface.functions:
        _check_name(err, fn, seen)
        _check_params(err, iface, fn)
        _check_limits(err, fn)


class _Reporter:
    def __init__(self, path):
        self.path = path

    def at(self, pos, message):
        return IdlError(self.path, pos.line, pos.col, message)


def _check_name(err, fn, seen):
    if fn.name in seen:
        first = seen[fn.name]
        raise err.at(fn.pos, f"function '{fn.name}' is already declared at "
                     f"line {first.line}")
    seen[fn.name] = fn.pos
    if len(fn.name) > MAX_NAME:
        raise err.at(fn.pos, f"function name '{fn.name}' is longer than "
                     f"{MAX_NAME} characters")
    if fn.name in GENERATED_SUFFIXES or fn.name.endswith("_impl"):
        raise err.at(fn.pos, f"function name '{fn.name}' is reserved for "
                     "the generated code")


def _check_params(err, iface, fn):
    names = set()
    for p in fn.params:
        # The generated call reads the gate from the variable of this name.
        if p.name == f"{iface.name}_client":
            raise err.at(p.pos, f"parameter name '{p.name}' is reserved for "
                         "the generated code")
        if p.name in names:
            raise err.at(p.pos, f"parameter '{p.name}' is already declared "
                         f"in function '{fn.name}'")
        names.add(p.name)
    for p in fn.buffers:
        length = fn.param(p.buffer.length)
        where = p.buffer.length_pos
        if length is None:
            raise err.at(where, f"buffer '{p.name}' takes its length from "
                         f"'{p.buffer.length}', which is not a parameter of "
                         f"'{fn.name}'")
        if length.buffer:
            raise err.at(where, f"buffer '{p.name}' takes its length from "
                         f"buffer '{length.name}'; expected an integer "
                         "parameter")
        if not is_length_integer(length.type):
            raise err.at(where, f"length '{length.name}' of buffer "
                         f"'{p.name}' must be a 32- or 64-bit integer such "
                         "as size_t or unsigned (the upper bits of a "
                         "narrower argument are undefined)")


def _check_limits(err, fn):
    if len(fn.buffers) > MAX_BUFFER_PARAMS:
        raise err.at(fn.buffers[MAX_BUFFER_PARAMS].pos,
                     f"function '{fn.name}' has more than "
                     f"{MAX_BUFFER_PARAMS} buffer parameters")
    stack = lay_out_function(fn).stack_bytes
    if stack > MAX_STACK_BYTES:
        raise err.at(fn.pos, f"function '{fn.name}' takes {stack} bytes of "
                     f"stack arguments; pfipc carries at most "
                     f"{MAX_STACK_BYTES}")
