#!/usr/bin/env python3
"""mkman - write pfipc's man pages from the doc blocks in include/pfipc.h.

The header is the source: every public function has a comment block

    /*
     * pf_name - one-line summary.
     *
     * SYNOPSIS  the declaration below, word for word
     * DESCRIPTION
     *   text, with parameters in capitals (NAME)
     * RETURN VALUE  text
     * ERRORS  -EINVAL why; -ENOENT why (items start with an error value)
     * NOTES  text (optional)
     * SEE ALSO  other(2), pages(7) (optional; pf_ functions the block
     *           mentions are added by themselves)
     */
    int pf_name(...);

and becomes pf_name(3). The header's first comment, its section banners and
its constants and types become the overview page pfipc(7). A declaration
without a block, a block without its declaration, a missing or unknown
section, or a SYNOPSIS that differs from the declaration stops the build
with the function's name, so pages and header cannot drift apart.

usage: mkman.py HEADER --outdir DIR [--version VERSION]
       mkman.py HEADER --list      (the pages it writes, one per line)
       mkman.py HEADER --check     (only check the blocks)
"""

import argparse
import os
import re
import sys

REQUIRED = ["SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "ERRORS"]
OPTIONAL = ["NOTES", "SEE ALSO"]
HEADINGS = REQUIRED + OPTIONAL
HEADING_RE = re.compile(r"^(%s)(?=\s|$)" % "|".join(HEADINGS))
NAME_LINE_RE = re.compile(r"^(pf_[a-z0-9_]+) - (\S.*)$")
ITEM_ERRNO_RE = re.compile(r"^(-E[A-Z]+)\b\s*(.*)$")
# "-EINVAL why; -ENOENT why" on one line: split before each error value.
INLINE_ERRNO_SPLIT = re.compile(r";\s+(?=-E[A-Z]+\b)")


class HeaderError(Exception):
    pass


# ---------------------------------------------------------------------------
# Reading the header
# ---------------------------------------------------------------------------

class Block:
    """One function's doc block and its declaration."""

    def __init__(self, name, summary):
        self.name = name
        self.summary = summary
        self.sections = {}      # heading -> list of (indent, text) lines
        self.decl = None        # the declaration that follows, as written
        self.group = None       # the header section it sits in
        self.params = []


def comment_lines(body):
    """The lines of a /* ... */ comment without the leading ' * '."""
    body = body.strip()[2:-2]
    out = []
    for raw in body.split("\n"):
        m = re.match(r"^\s*\*(?!/) ?(.*)$", raw)
        out.append((m.group(1) if m else raw.strip()).rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


def strip_comments(code):
    """Comments blanked out (newlines kept, so line numbers stay)."""
    return re.sub(r"/\*.*?\*/",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), code, flags=re.S)


def declared_functions(text):
    """{name: (declaration, line)} for every function the header declares,
    found independently of the doc blocks."""
    code = strip_comments(text)
    # Preprocessor lines (with their continuations) are not declarations.
    code = re.sub(r"(?m)^[ \t]*#(?:[^\n]*\\\n)*[^\n]*",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), code)
    code = code.replace('extern "C" {', "            ")
    # Bodies of structs (fields, never functions) out of the way.
    while True:
        new = re.sub(r"\{[^{}]*\}",
                     lambda m: re.sub(r"[^\n]", " ", m.group(0)), code)
        if new == code:
            break
        code = new
    found = {}
    for m in re.finditer(r"(?m)^[ \t]*([A-Za-z_][^;{}()#]*?\b(pf_[a-z0-9_]+)"
                         r"\s*\([^;{}]*\)\s*;)", code):
        decl, name = m.group(1), m.group(2)
        if re.match(r"\s*typedef\b", decl):
            continue
        line = code.count("\n", 0, m.start(1)) + 1
        if name in found:
            raise HeaderError(f"{name} (line {line}): declared twice")
        found[name] = (decl, line)
    return found


def normalise(decl):
    """A declaration with comments gone and spacing made canonical."""
    s = re.sub(r"/\*.*?\*/", " ", decl, flags=re.S)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s*([(),;])\s*", r"\1", s)
    s = re.sub(r"\s*\*\s*", "*", s)
    return s


def params_of(decl):
    """The parameter names of a declaration, in order."""
    inner = decl[decl.index("(") + 1:decl.rindex(")")]
    names, depth, cur = [], 0, ""
    for ch in inner + ",":
        if ch == "," and depth == 0:
            p = cur.strip()
            cur = ""
            if p in ("", "void", "..."):
                continue
            m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", p)  # fn pointer
            if not m:
                m = re.search(r"([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*$", p)
            if m:
                names.append(m.group(1))
            continue
        depth += ch in "(["
        depth -= ch in ")]"
        cur += ch
    return names


def parse_block(lines, start_line):
    """A Block from a comment's lines; raises HeaderError naming it."""
    m = NAME_LINE_RE.match(lines[0])
    b = Block(m.group(1), m.group(2).strip())
    current = None
    for i, line in enumerate(lines[1:], start=1):
        where = f"{b.name} (line {start_line + i})"
        if not line.strip():
            if current:
                b.sections[current].append((0, ""))
            continue
        h = HEADING_RE.match(line)
        if h:
            current = h.group(1)
            if current in b.sections:
                raise HeaderError(f"{where}: section {current} twice")
            b.sections[current] = []
            rest = line[h.end():]
            if rest.strip():
                indent = h.end() + len(rest) - len(rest.lstrip())
                b.sections[current].append((indent, rest.strip()))
            continue
        if not line[0].isspace():
            raise HeaderError(
                f"{where}: {line.split()[0]!r} is not a section heading "
                f"({', '.join(HEADINGS)}); text under a heading is indented")
        if current is None:
            raise HeaderError(f"{where}: text before the first section")
        b.sections[current].append((len(line) - len(line.lstrip()),
                                    line.strip()))
    for h in REQUIRED:
        if h not in b.sections:
            raise HeaderError(f"{b.name} (line {start_line}): no {h} section")
    for h, body in b.sections.items():
        while body and not body[-1][1]:
            body.pop()
        if not body:
            raise HeaderError(f"{b.name} (line {start_line}): {h} is empty")
    return b


class Header:
    def __init__(self, text):
        self.text = text
        self.blocks = []        # in header order
        self.errors = []
        self.top = []           # the first comment's lines
        self.groups = []        # (title, [block names])
        self.chunks = []        # constants and types, as written
        self.defines = {}       # PF_ macro or pf_ type -> chunk index
        self.functions = {}
        self.errno_text = {}    # -EXXX -> its meaning in the first comment
        self._read()

    def _read(self):
        text = self.text
        try:
            self.functions = declared_functions(text)
        except HeaderError as e:
            self.errors.append(str(e))
        comments = list(re.finditer(r"/\*.*?\*/", text, flags=re.S))
        if comments:
            self.top = comment_lines(comments[0].group(0))
        group = None
        documented = {}
        for c in comments:
            body = c.group(0)
            lines = comment_lines(body)
            line_no = text.count("\n", 0, c.start()) + 1
            if len(lines) == 1 and self._is_banner(c):
                group = lines[0].strip()
                self.groups.append((group, []))
                continue
            if not lines or not NAME_LINE_RE.match(lines[0]):
                continue
            name = NAME_LINE_RE.match(lines[0]).group(1)
            try:
                b = parse_block(lines, line_no + 1)
            except HeaderError as e:
                self.errors.append(str(e))
                documented[name] = None
                continue
            after = text[c.end():]
            m = re.match(r"\s*([^;]*;)", after)
            decl = m.group(1) if m else ""
            fm = re.search(r"\b(pf_[a-z0-9_]+)\s*\(", decl)
            if not fm or fm.group(1) != b.name or decl.lstrip().startswith(
                    ("typedef", "#", "/*")):
                self.errors.append(
                    f"{b.name} (line {line_no}): the block is not followed "
                    f"by the declaration of {b.name}")
                documented[name] = None
                continue
            if name in documented:
                self.errors.append(f"{name} (line {line_no}): two blocks")
                continue
            b.decl = decl.strip()
            b.params = params_of(b.decl)
            b.group = group
            synopsis = " ".join(t for _, t in b.sections["SYNOPSIS"])
            if normalise(synopsis) != normalise(b.decl):
                self.errors.append(
                    f"{b.name} (line {line_no}): SYNOPSIS says\n    {synopsis}\n"
                    f"  but the header declares\n    "
                    f"{' '.join(b.decl.split())}")
            documented[name] = b
            self.blocks.append(b)
            if self.groups:
                self.groups[-1][1].append(b.name)
        for name, (_, line) in sorted(self.functions.items(),
                                      key=lambda kv: kv[1][1]):
            if name not in documented:
                self.errors.append(
                    f"{name} (line {line}): declared without a doc block")
        self._read_chunks()
        self._read_errno_text()

    def _is_banner(self, c):
        """A section title between two rule lines of dashes."""
        before = self.text[:c.start()].rstrip().splitlines()[-1:]
        after = self.text[c.end():].lstrip().splitlines()[:1]
        rule = re.compile(r"^/\* -{20,} \*/$")
        return bool(before and after and rule.match(before[0].strip())
                    and rule.match(after[0].strip()))

    def _read_chunks(self):
        """Runs of lines between blank lines that define PF_ macros or pf_
        types (with the comments written beside them)."""
        body = self.text
        # Everything from the include guard to its end; skip the comments
        # before it (the first comment, the format note).
        m = re.search(r"^#define PFIPC_H\b.*$", body, flags=re.M)
        if m:
            body = body[m.end():]
        for chunk in re.split(r"\n[ \t]*\n", body):
            chunk = chunk.strip("\n")
            code = strip_comments(chunk)
            names = re.findall(r"^[ \t]*#define[ \t]+((?:PF|PFIPC)_\w+)",
                               code, flags=re.M)
            names += re.findall(r"\}\s*(pf_\w+)\s*;", code)
            names += re.findall(r"typedef[^;{}]*\(\s*\*\s*(pf_\w+)\s*\)", code)
            if not names:
                continue
            self.chunks.append(chunk)
            for n in names:
                self.defines[n] = len(self.chunks) - 1

    def _read_errno_text(self):
        """What the first comment's list of error values says of each."""
        items = split_items([(0, l.strip()) for l in self.top], False)
        for kind, text in items:
            if kind.startswith("-E") and text:
                self.errno_text.setdefault(kind, text)

    def check(self):
        if self.errors:
            raise HeaderError("\n".join(self.errors))


# ---------------------------------------------------------------------------
# Writing roff
# ---------------------------------------------------------------------------

def esc_code(s):
    """Text for a no-fill code line: backslashes, hyphens, non-ASCII."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    s = "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in s)
    if s.startswith((".", "'")):
        s = "\\&" + s
    return s


class Marker:
    """Marks up running text: functions and constants bold, parameters
    italic, error values bold, hyphens that start a word as minus signs."""

    def __init__(self, params=()):
        # A parameter is written in capitals in the header (NAME for name).
        self.params = {p.upper(): p for p in params if p.upper() != p}
        self.token = re.compile(
            r"(?P<fn>\bpf_[a-z0-9_]+\b(?:\(\))?)"
            r"|(?P<const>\b(?:PF|PFIPC)_[A-Z0-9_]+\b)"
            r"|(?P<errno>(?<![\w-])-E[A-Z]+\b)"
            r"|(?P<word>\b[A-Z][A-Z0-9_]*\b)"
            r"|(?P<dash>(?<![\w])-(?=[\w-]))"
            r"|(?P<bs>\\)"
            r"|(?P<uni>[^\x00-\x7f])")

    def __call__(self, s):
        def sub(m):
            k = m.lastgroup
            t = m.group(0)
            # \% keeps groff from hyphenating an identifier.
            if k in ("fn", "const"):
                return "\\fB\\%%%s\\fP" % t
            if k == "errno":
                return "\\fB\\%%\\%s\\fP" % t
            if k == "word":
                if t in self.params:
                    return "\\fI\\%%%s\\fP" % self.params[t]
                return t
            if k == "dash":
                return "\\-"
            if k == "bs":
                return "\\e"
            return "\\[u%04X]" % ord(t)
        out = self.token.sub(sub, s)
        if out.startswith((".", "'")):
            out = "\\&" + out
        return out


def split_items(lines, split_inline_errors):
    """Paragraphs of (kind, text): kind is 'text', 'bullet' or an error
    value. A line starting with '- ' or '-EXXX' starts an item; other
    lines continue what came before; a blank line ends it."""
    paras, cur = [], None
    for _, s in lines:
        if not s:
            cur = None
            continue
        if s.startswith("- "):
            cur = ["bullet", s[2:].strip()]
            paras.append(cur)
        elif ITEM_ERRNO_RE.match(s):
            cur = ["errno", s]
            paras.append(cur)
        elif cur is None:
            cur = ["text", s]
            paras.append(cur)
        else:
            cur[1] += " " + s
    out = []
    for kind, text in paras:
        pieces = INLINE_ERRNO_SPLIT.split(text) if split_inline_errors else [text]
        for i, piece in enumerate(pieces):
            piece = piece.strip()
            if kind == "bullet" and i == 0:
                out.append(("bullet", piece))
                continue
            m = ITEM_ERRNO_RE.match(piece)
            if m and (kind == "errno" or i > 0):
                out.append((m.group(1), m.group(2).strip(" ;.")))
            else:
                out.append(("text", piece))
    return out


def roff_section(items, mark, errno_text):
    """roff for split_items' output: paragraphs, bullets, and error values
    as tagged paragraphs (an error without text gets the meaning the
    header's first comment gives it)."""
    out = []
    for kind, text in items:
        if kind == "text":
            if out:
                out.append(".PP")
            out.append(mark(text))
        elif kind == "bullet":
            out.append(".IP \\(bu 2")
            out.append(mark(text))
        else:
            body = text or errno_text.get(kind, "")
            out.append(".TP")
            out.append(".B \\%s" % kind)
            if body:
                out.append(mark(body[0].upper() + body[1:]))
    return out


def synopsis_bi(line, params):
    """A prototype line as .BI: the parameter names italic, the rest bold."""
    if not params:
        return '.B "%s"' % esc_code(line) if line.strip() else ""
    pat = re.compile(r"\b(%s)\b(?=\s*[,)\[])" % "|".join(map(re.escape, params)))
    parts, pos = [], 0
    for m in pat.finditer(line):
        parts.append(line[pos:m.start()])
        parts.append(m.group(1))
        pos = m.end()
    parts.append(line[pos:])
    if len(parts) == 1:
        return '.B "%s"' % esc_code(line)
    args = []
    for i, p in enumerate(parts):
        if i % 2 == 0:
            args.append('"%s"' % esc_code(p))
        else:
            args.append(esc_code(p))
    while args and args[-1] == '""':
        args.pop()
    return ".BI " + " ".join(args)


def synopsis_lines(b):
    """The SYNOPSIS as written in the block (its own line breaks), with the
    continuation lines' indent kept relative to the first line."""
    lines = b.sections["SYNOPSIS"]
    base = lines[0][0]
    out = []
    for indent, text in lines:
        if not text:
            continue
        out.append(" " * max(0, indent - base) + text)
    # Keep the author's alignment (continuations under the '('), minus the
    # indent all lines share.
    common = min(len(l) - len(l.lstrip()) for l in out)
    return [l[common:] for l in out]


def chunk_lines(chunk):
    return [esc_code(l.expandtabs(8)) for l in chunk.split("\n")]


def related_chunks(h, b):
    """Constants and types a page shows: the pf_ types in its declaration
    and the PF_ constants its text names, with what those mention."""
    text = " ".join(t for lines in b.sections.values() for _, t in lines)
    want = set(re.findall(r"\b(pf_\w+)\b", b.decl)) | \
        set(re.findall(r"\b((?:PF|PFIPC)_[A-Z0-9_]+)\b", text))
    picked = set()
    while True:
        new = {h.defines[n] for n in want if n in h.defines} - picked
        if not new:
            break
        picked |= new
        for i in new:
            # What a chunk's code uses, not what its comments mention.
            code = strip_comments(h.chunks[i])
            want |= set(re.findall(r"\b((?:PF|PFIPC)_[A-Z0-9_]+|pf_\w+)\b",
                                   code))
    return [h.chunks[i] for i in sorted(picked)]


def see_also(h, b):
    names = []
    text = b.summary + " " + " ".join(
        t for k, lines in b.sections.items() if k != "SEE ALSO"
        for _, t in lines)
    for n in re.findall(r"\b(pf_[a-z0-9_]+)\b", text):
        if n != b.name and n in h.functions and n not in names:
            names.append(n)
    refs = ["%s(3)" % n for n in names]
    if "SEE ALSO" in b.sections:
        extra = " ".join(t for _, t in b.sections["SEE ALSO"])
        for r in re.split(r"[,\s]+", extra):
            r = r.strip().rstrip(".")
            if not r:
                continue
            if not re.fullmatch(r"[\w.+-]+\(\d\w*\)", r):
                raise HeaderError(f"{b.name}: SEE ALSO entry {r!r} is not "
                                  f"of the form name(section)")
            if r not in refs:
                refs.append(r)
    refs.append("pfipc(7)")
    out = []
    for i, r in enumerate(refs):
        n, sec = r[:-1].split("(")
        out.append(".BR %s (%s)%s" % (esc_code(n), sec,
                                      "," if i < len(refs) - 1 else ""))
    return out


def th(title, section, version):
    return '.TH %s %s "" "pfipc %s" "pfipc Manual"' % (title, section, version)


GENERATED = ('.\\" Made by tools/mkman.py from include/pfipc.h: '
             'edit the header, not this file.')


def function_page(h, b, version):
    mark = Marker(b.params)
    out = [GENERATED, th(b.name, 3, version), ".SH NAME",
           "%s \\- %s" % (b.name, mark(b.summary.rstrip("."))),
           ".SH SYNOPSIS", ".nf", ".B #include <pfipc.h>", ".PP"]
    out += [synopsis_bi(l, b.params) for l in synopsis_lines(b)]
    for chunk in related_chunks(h, b):
        out.append(".PP")
        out += chunk_lines(chunk)
    out.append(".fi")
    for heading in ["DESCRIPTION", "RETURN VALUE", "ERRORS", "NOTES"]:
        if heading not in b.sections:
            continue
        items = split_items(b.sections[heading], heading == "ERRORS")
        out.append(".SH " + heading)
        out += roff_section(items, mark, h.errno_text)
    out.append(".SH SEE ALSO")
    out += see_also(h, b)
    return "\n".join(out) + "\n"


def overview_page(h, version):
    mark = Marker()
    top = list(h.top)
    first = top.pop(0) if top else "pfipc.h - pfipc"
    summary = re.split(r"\s+(?:-|\u2014)\s+", first, maxsplit=1)[-1]
    out = [GENERATED, th("pfipc", 7, version), ".SH NAME",
           "pfipc \\- %s" % mark(summary.rstrip(".")),
           ".SH SYNOPSIS", ".nf", ".B #include <pfipc.h>", ".PP",
           ".B cc prog.c $(pkg\\-config \\-\\-cflags \\-\\-libs pfipc)",
           ".fi", ".SH DESCRIPTION"]
    out += roff_section(split_items([(0, l.strip()) for l in top], False),
                        mark, {})
    out.append(".SH FUNCTIONS")
    by_name = {b.name: b for b in h.blocks}
    grouped = [(t, ns) for t, ns in h.groups if ns]
    loose = [b.name for b in h.blocks if b.group is None]
    if loose:
        grouped.insert(0, (None, loose))
    for title, names in grouped:
        if title:
            out.append(".SS " + mark(title))
        for n in names:
            out += [".TP", ".BR %s (3)" % esc_code(n),
                    mark(by_name[n].summary)]
    out += [".SH CONSTANTS AND TYPES", ".nf"]
    for i, chunk in enumerate(h.chunks):
        if i:
            out.append("")
        out += chunk_lines(chunk)
    out += [".fi", ".SH SEE ALSO",
            ".BR sigaction (2),", ".BR mprotect (2)"]
    return "\n".join(out) + "\n"


def pages(h, version):
    """{file name: roff text} for every page."""
    out = {}
    for b in h.blocks:
        out[b.name + ".3"] = function_page(h, b, version)
    out["pfipc.7"] = overview_page(h, version)
    return out


def page_names(text):
    """The pages the header asks for, even when its blocks are malformed:
    one per declared function, and the overview."""
    try:
        names = sorted(declared_functions(text))
    except HeaderError:
        names = sorted(set(re.findall(r"\b(pf_[a-z0-9_]+)\s*\(",
                                      strip_comments(text))))
    return [n + ".3" for n in names] + ["pfipc.7"]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="mkman", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("header")
    ap.add_argument("--outdir")
    ap.add_argument("--version", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    with open(args.header, encoding="utf-8") as f:
        text = f.read()
    if args.list:
        print("\n".join(page_names(text)))
        return 0
    try:
        h = Header(text)
        h.check()
        written = pages(h, args.version)
    except HeaderError as e:
        for line in str(e).split("\n"):
            print(f"mkman: {args.header}: {line}" if not line.startswith(" ")
                  else line, file=sys.stderr)
        return 1
    if args.check:
        return 0
    if not args.outdir:
        ap.error("--outdir is needed to write pages")
    expected = page_names(text)
    if sorted(written) != sorted(expected):
        print("mkman: pages written and pages listed differ: "
              f"{sorted(set(written) ^ set(expected))}", file=sys.stderr)
        return 1
    os.makedirs(args.outdir, exist_ok=True)
    for name, page in written.items():
        with open(os.path.join(args.outdir, name), "w", encoding="ascii") as f:
            f.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
