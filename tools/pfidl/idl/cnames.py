"""How the generated C spells types, declarations and argument places."""

import textwrap

from .abi import INT_REGS
from .types import Array, Pointer, Struct


def spell(t, name=""):
    """The C declaration of NAME as type T: "const char *buf", "int v[4]".
    With no NAME, the type alone (as in a cast)."""
    dims = ""
    while isinstance(t, Array):
        dims += f"[{t.count}]"
        t = t.elem
    stars, const = 0, False
    while isinstance(t, Pointer):
        stars += 1
        const = t.const
        t = t.target
    base = f"struct {t.cname}" if isinstance(t, Struct) else t.c
    if const:
        base = "const " + base
    decl = "*" * stars + name + dims
    if not decl:
        return base
    return f"{base} {decl}"


def param_list(fn):
    if not fn.params:
        return "void"
    return ", ".join(spell(p.type, p.name) for p in fn.params)


def arg_place(loc):
    """PF_ARG_REG(n) or PF_ARG_STACK(w) for an 8-byte integer argument."""
    kind, n = loc.word()
    return f"PF_ARG_REG({n})" if kind == "reg" else f"PF_ARG_STACK({n})"


def describe_layout(iface, fn, layout):
    """One line per function saying where its arguments travel, so a reader
    of the generated code can check the stack byte count by eye."""
    parts = [f"{p.name} in {loc.describe()}"
             for p, loc in zip(fn.params, layout.args)]
    if layout.hidden_ret:
        parts.insert(0, f"result through {INT_REGS[0]}")
    where = ", ".join(parts) if parts else "no arguments"
    return f"{iface.name}.{fn.name}: {where}; {layout.stack_bytes} stack bytes"


def comment(text, indent=""):
    """TEXT as a C block comment wrapped to 79 columns."""
    lines = textwrap.wrap(text, width=76 - len(indent.expandtabs()),
                          break_on_hyphens=False)
    if len(lines) == 1:
        return f"{indent}/* {lines[0]} */\n"
    out = f"{indent}/* {lines[0]}\n"
    for line in lines[1:]:
        out += f"{indent} * {line}\n"
    return out + f"{indent} */\n"


def wrap(head, items, end, indent=""):
    """INDENT HEAD ITEM, ITEM... END, wrapped at commas to 79 columns with
    continuation lines lined up after HEAD, as kernel style does. HEAD ends
    with the opening '('."""
    first = indent + head
    width = len(first.expandtabs())
    cont = "\t" * (width // 8) + " " * (width % 8)
    lines, line = [], first
    items = items or [""]
    for i, item in enumerate(items):
        piece = item + (", " if i + 1 < len(items) else end)
        if (line not in (first, cont) and
                len((line + piece.rstrip()).expandtabs()) > 79):
            lines.append(line.rstrip())
            line = cont
        line += piece
    lines.append(line)
    return "\n".join(lines)


def declarator(fn, name, indent="", prefix=""):
    """[PREFIX] RET NAME(PARAMS) with long parameter lists wrapped; NAME may
    be a function pointer declarator such as "(*open)"."""
    params = [spell(p.type, p.name) for p in fn.params] or ["void"]
    return wrap(prefix + spell(fn.ret, name) + "(", params, ")", indent)
