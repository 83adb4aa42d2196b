"""Reads the interface language (see doc/pfidl.md) into an Interface.

The parser checks syntax and resolves type names; rules that need the whole
function (buffer lengths, limits, duplicates) live in check.py.
"""

from .errors import IdlError
from .lexer import tokenize
from .model import (ATTRIBUTES, DIRECTIONS, Buffer, Function, Interface,
                    Param, Pos)
from .types import SCALARS, VOID, Array, Field, Pointer, Struct

# Words that combine into one C arithmetic type ("unsigned long long int").
C_TYPE_WORDS = {"signed", "unsigned", "char", "short", "int", "long",
                "float", "double"}

# Single-word type names besides the combinable ones.
NAMED_TYPES = {name: t for name, t in SCALARS.items() if " " not in name
               and name not in C_TYPE_WORDS}
NAMED_TYPES["_Bool"] = SCALARS["bool"]

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if",
    "inline", "int", "long", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
    "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local",
}
IDL_KEYWORDS = {"interface", "max"} | set(ATTRIBUTES) | set(DIRECTIONS)
RESERVED = C_KEYWORDS | IDL_KEYWORDS | set(NAMED_TYPES)


def parse(text, path):
    return Parser(tokenize(text, path), path).interface()


def canonical_c_type(words):
    """The canonical spelling of a run of C type words, or None if C would
    reject the combination."""
    count = {w: words.count(w) for w in set(words)}
    sign = [w for w in ("signed", "unsigned") if w in count]
    if len(sign) > 1 or any(count[w] > 1 for w in count if w != "long"):
        return None
    rest = {w: n for w, n in count.items() if w not in ("signed", "unsigned")}
    longs = rest.pop("long", 0)
    if "float" in rest or "double" in rest:
        if sign or "int" in rest:
            return None
        if rest == {"float": 1} and not longs:
            return "float"
        if rest == {"double": 1} and longs <= 1:
            return "long double" if longs else "double"
        return None
    if "char" in rest:
        if longs or len(rest) > 1:
            return None
        return f"{sign[0]} char" if sign else "char"
    rest.pop("int", None)
    prefix = "unsigned " if sign == ["unsigned"] else ""
    if "short" in rest:
        return None if longs or len(rest) > 1 else prefix + "short"
    if rest or longs > 2:
        return None
    base = {0: "int", 1: "long", 2: "long long"}[longs]
    return prefix + base


class Parser:
    def __init__(self, tokens, path):
        self.tokens = tokens
        self.i = 0
        self.path = path
        self.structs = {}

    # -- token helpers -----------------------------------------------------

    @property
    def tok(self):
        return self.tokens[self.i]

    def peek(self, k):
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self):
        t = self.tokens[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def error(self, tok, message):
        return IdlError(self.path, tok.line, tok.col, message)

    def at(self, text):
        return self.tok.text == text and self.tok.kind in ("ident", text)

    def accept(self, text):
        if self.at(text):
            return self.advance()
        return None

    def expect(self, text, context):
        if not self.at(text):
            raise self.error(self.tok, f"expected '{text}' {context}, "
                                       f"found {self.tok.describe()}")
        return self.advance()

    def expect_name(self, what):
        t = self.tok
        if t.kind != "ident":
            raise self.error(t, f"expected {what}, found {t.describe()}")
        if t.text in RESERVED:
            raise self.error(t, f"expected {what}, found keyword '{t.text}'")
        return self.advance()

    def expect_int(self, what):
        t = self.tok
        if t.kind != "int":
            raise self.error(t, f"expected {what}, found {t.describe()}")
        try:
            value = int(t.text, 0)
        except ValueError:
            raise self.error(t, f"invalid integer '{t.text}'") from None
        self.advance()
        return t, value

    @staticmethod
    def pos(tok):
        return Pos(tok.line, tok.col)

    # -- file --------------------------------------------------------------

    def interface(self):
        if not self.at("interface"):
            raise self.error(self.tok, "expected 'interface NAME;' at the "
                             f"start of the file, found {self.tok.describe()}")
        self.advance()
        name_tok = self.expect_name("the interface name")
        self.expect(";", "after the interface name")
        iface = Interface(name_tok.text, self.path, self.pos(name_tok))
        while self.tok.kind != "eof":
            if self.at("interface"):
                raise self.error(self.tok, "only one 'interface' declaration "
                                 "is allowed per file")
            if self.at("struct") and self.peek(2).kind == "{":
                iface.structs.append(self.struct_decl(iface.name))
            else:
                iface.functions.append(self.function())
        return iface

    # -- structs -----------------------------------------------------------

    def struct_decl(self, iface_name):
        self.advance()
        name_tok = self.expect_name("a struct name")
        if name_tok.text in self.structs:
            raise self.error(name_tok, f"struct '{name_tok.text}' is "
                             "already declared")
        struct = Struct(name_tok.text, f"{iface_name}_{name_tok.text}")
        struct.pos = self.pos(name_tok)
        # Known from here on, so that a field may point to its own struct.
        self.structs[struct.name] = struct
        self.expect("{", "after the struct name")
        seen = set()
        while not self.at("}"):
            if self.tok.kind == "eof":
                raise self.error(self.tok, "expected '}' to close struct "
                                 f"'{struct.name}', found end of file")
            struct.fields.append(self.field(struct, seen))
        close = self.advance()
        if not struct.fields:
            raise self.error(close, f"struct '{struct.name}' needs at least "
                             "one field")
        self.expect(";", "after the struct's closing '}'")
        struct.lay_out()
        return struct

    def field(self, struct, seen):
        type_tok = self.tok
        t = self.type()
        if t is VOID:
            raise self.error(type_tok, "a field cannot have type 'void'")
        if t is struct:
            raise self.error(type_tok, f"struct '{struct.name}' cannot "
                             "contain itself (a pointer to it is fine)")
        name_tok = self.expect_name("a field name")
        if name_tok.text in seen:
            raise self.error(name_tok, f"field '{name_tok.text}' is already "
                             f"declared in struct '{struct.name}'")
        seen.add(name_tok.text)
        dims = []
        while self.accept("["):
            count_tok, count = self.expect_int("an array length")
            if count < 1:
                raise self.error(count_tok, "an array length must be at "
                                 "least 1")
            dims.append(count)
            self.expect("]", "after the array length")
        for count in reversed(dims):
            t = Array(t, count)
        self.expect(";", "after the field")
        return Field(name_tok.text, t)

    # -- types -------------------------------------------------------------

    def type(self):
        """TYPE := ['const'] BASE '*'*, where 'const' qualifies what the
        pointer points to."""
        const_tok = self.accept("const")
        base = self.base_type()
        stars = 0
        while self.accept("*"):
            stars += 1
        if const_tok and not stars:
            raise self.error(const_tok, "'const' is only allowed on what a "
                             "pointer points to")
        t = base
        for level in range(stars):
            t = Pointer(t, const=bool(const_tok) and level == 0)
        return t

    def base_type(self):
        t = self.tok
        if t.kind != "ident":
            raise self.error(t, f"expected a type, found {t.describe()}")
        if t.text == "struct":
            self.advance()
            name = self.expect_name("a struct name")
            if name.text not in self.structs:
                raise self.error(name, f"unknown struct '{name.text}' "
                                 "(structs must be declared before use)")
            return self.structs[name.text]
        if t.text in C_TYPE_WORDS:
            words = []
            while self.tok.kind == "ident" and self.tok.text in C_TYPE_WORDS:
                words.append(self.advance().text)
            canon = canonical_c_type(words)
            if canon is None:
                raise self.error(t, f"invalid type '{' '.join(words)}'")
            return SCALARS[canon]
        if t.text in NAMED_TYPES:
            self.advance()
            return NAMED_TYPES[t.text]
        if t.text in self.structs:
            raise self.error(t, f"unknown type '{t.text}' (did you mean "
                             f"'struct {t.text}'?)")
        raise self.error(t, f"unknown type '{t.text}'")

    # -- functions ---------------------------------------------------------

    def function(self):
        attrs = []
        while self.tok.kind == "ident" and self.tok.text in ATTRIBUTES:
            a = self.advance()
            if a.text in attrs:
                raise self.error(a, f"attribute '{a.text}' is given twice")
            attrs.append(a.text)
        ret_tok = self.tok
        if ret_tok.kind == "ident" and ret_tok.text in DIRECTIONS:
            raise self.error(ret_tok, f"'{ret_tok.text}' is only allowed "
                             "before a buffer parameter")
        ret = self.type()
        name_tok = self.expect_name("a function name")
        self.expect("(", "after the function name")
        params = self.params()
        self.expect(";", "after the function's ')'")
        return Function(name_tok.text, ret, params, attrs, self.pos(name_tok))

    def params(self):
        if self.accept(")"):
            return []
        if self.at("void") and self.peek(1).kind == ")":
            self.advance()
            self.advance()
            return []
        params = [self.param()]
        while self.accept(","):
            params.append(self.param())
        self.expect(")", "or ',' after a parameter")
        return params

    def param(self):
        if self.tok.kind == "ident" and self.tok.text in DIRECTIONS:
            return self.buffer_param()
        type_tok = self.tok
        t = self.type()
        if t is VOID:
            raise self.error(type_tok, "a parameter cannot have type 'void'")
        name_tok = self.expect_name("a parameter name")
        if self.at("["):
            raise self.error(self.tok, "an array parameter needs a direction:"
                             " 'in', 'out' or 'inout' TYPE NAME[LENGTH] max N")
        return Param(name_tok.text, t, self.pos(name_tok))

    def buffer_param(self):
        direction = self.advance().text
        type_tok = self.tok
        elem = self.type()
        if isinstance(elem, Pointer):
            raise self.error(type_tok, "a buffer cannot hold pointers: pfipc "
                             "copies the bytes, not what they point to")
        name_tok = self.expect_name("a buffer parameter name")
        self.expect("[", f"after buffer '{name_tok.text}' (a buffer is "
                    "declared NAME[LENGTH] max N)")
        len_tok = self.expect_name("the name of the parameter holding the "
                                   "buffer's length in bytes")
        self.expect("]", "after the buffer's length")
        self.expect("max", "and the buffer's largest length in bytes after "
                    "']'")
        max_tok, max_len = self.expect_int("the buffer's largest length in "
                                           "bytes after 'max'")
        if max_len < 1:
            raise self.error(max_tok, "a buffer's maximum length must be at "
                             "least 1")
        if max_len >= 1 << 63:
            raise self.error(max_tok, "a buffer's maximum length must be less "
                             "than 2^63")
        ptr = Pointer(elem, const=(direction == "in"))
        buf = Buffer(direction, len_tok.text, self.pos(len_tok), max_len)
        return Param(name_tok.text, ptr, self.pos(name_tok), buf)
