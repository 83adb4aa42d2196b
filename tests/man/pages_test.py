#!/usr/bin/env python3
"""Every public function has a man page, and each page says what the header
says: the page exists for every pf_ function the header declares and the
library exports, no page is left for a function that is gone, each has the
sections NAME, SYNOPSIS, DESCRIPTION, RETURN VALUE, ERRORS and SEE ALSO,
and its SYNOPSIS, as groff renders it, holds the header's declaration word
for word. pfipc(7) lists every function.

This reads the header and the pages on its own, not through the generator
(tools/mkman.py), so a generator that drops or garbles a page is caught.

usage: pages_test.py HEADER LIBRARY MANDIR      (exit 77 without groff)
"""
import os
import re
import shutil
import subprocess
import sys

SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "ERRORS",
            "SEE ALSO"]


def header_declarations(path):
    """{name: declaration} of the pf_ functions HEADER declares."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"(?m)^\s*#(?:.*\\\n)*.*$", " ", text)
    decls = {}
    for stmt in text.split(";"):
        stmt = " ".join(stmt.split())
        m = re.search(r"(?:^|[}{] *)([^{}]*?\b(pf_[a-z0-9_]+) *\(.*\))$", stmt)
        if m and "typedef" not in m.group(1) and "(*" not in m.group(1).split(m.group(2))[0]:
            decls[m.group(2)] = m.group(1) + ";"
    return decls


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library],
                         capture_output=True, text=True, check=True).stdout
    return {l.split()[-1].split("@")[0] for l in out.splitlines()
            if l.split()[-1].startswith("pf_")}


def squash(s):
    s = " ".join(s.split())
    return re.sub(r" *([()*,;]) *", r"\1", s)


def render(page):
    """The page as plain text, lines long enough that nothing wraps."""
    r = subprocess.run(["groff", "-man", "-Tascii", "-rLL=250n", "-P-cbou",
                        page], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"groff failed on {page}: {r.stderr}")
    return r.stdout


def sections(text):
    out, cur = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.strip() in SECTIONS + [
                "NOTES", "FUNCTIONS", "CONSTANTS AND TYPES"]:
            cur = line.strip()
            out[cur] = []
        elif cur:
            out[cur].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def main():
    header, library, mandir = sys.argv[1:4]
    if not shutil.which("groff"):
        print("groff is not installed: cannot render the pages")
        return 77
    decls = header_declarations(header)
    functions = set(decls) | exported(library)
    problems = []
    pages = {f[:-2] for f in os.listdir(mandir) if f.endswith(".3")}
    for name in sorted(functions - pages):
        problems.append(f"{name}: no man page")
    for name in sorted(pages - functions):
        problems.append(f"{name}.3: a page for a function the header and "
                        f"library do not have")
    for name in sorted(functions & pages):
        text = sections(render(os.path.join(mandir, name + ".3")))
        for s in SECTIONS:
            if not text.get(s):
                problems.append(f"{name}: no {s} section (or it is empty)")
        if not text.get("NAME", "").startswith(name + " - "):
            problems.append(f"{name}: NAME is {text.get('NAME')!r}")
        if name not in decls:
            problems.append(f"{name}: exported but not declared in the header")
            continue
        if squash(decls[name]) not in squash(text.get("SYNOPSIS", "")):
            problems.append(f"{name}: SYNOPSIS does not hold the header's "
                            f"declaration\n    header: {' '.join(decls[name].split())}\n"
                            f"    page:   {' '.join(text.get('SYNOPSIS', '').split())[:300]}")
    overview = os.path.join(mandir, "pfipc.7")
    if not os.path.exists(overview):
        problems.append("pfipc.7: missing")
    else:
        listed = sections(render(overview)).get("FUNCTIONS", "")
        for name in sorted(functions):
            if not re.search(r"\b%s\(3\)" % name, listed):
                problems.append(f"pfipc.7: FUNCTIONS does not list {name}(3)")
    for p in problems:
        print(p)
    print(f"{len(functions)} functions, {len(pages)} pages checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
