#!/usr/bin/env python3
"""The shared library exports exactly the header's pf_ functions, plus the
interposed sigaction and signal, and nothing else; and each carries the
symbol version lib/libpfipc.map gives it: a PFIPC_ node for the pf_
functions, GLIBC_2.2.5 for sigaction and signal (without it, references from
other libraries would bind to the C library's and skip pfipc's).

usage: exports_test.py HEADER LIBRARY
"""
import re
import subprocess
import sys

INTERPOSED = {"sigaction": "GLIBC_2.2.5", "signal": "GLIBC_2.2.5"}

header, library = sys.argv[1], sys.argv[2]
text = open(header).read()
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)   # comments mention names too
declared = set(re.findall(r"^[a-z_ \*]*?\b(pf_[a-z_0-9]+)\s*\(", text, flags=re.M))
expected = declared | set(INTERPOSED)

out = subprocess.run(["nm", "-D", "--defined-only", library],
                     capture_output=True, text=True, check=True).stdout
versions = {}
for line in out.splitlines():
    fields = line.split()
    if fields[1] not in ("T", "W", "D", "B", "R"):
        continue
    name, _, version = fields[-1].partition("@")
    versions[name] = version.lstrip("@")
exported = set(versions)

missing = sorted(expected - exported)
extra = sorted(exported - expected)
if missing:
    print("declared in the header but not exported:", ", ".join(missing))
if extra:
    print("exported but not in the header:", ", ".join(extra))
wrong = []
for name in sorted(exported & expected):
    want = INTERPOSED.get(name)
    got = versions[name]
    if (want and got != want) or (not want and not got.startswith("PFIPC_")):
        wrong.append(f"{name}@{got or '(none)'} (want {want or 'PFIPC_*'})")
if wrong:
    print("wrong symbol version:", ", ".join(wrong))
print(f"{len(exported)} exported symbols checked against {len(expected)} declared")
sys.exit(1 if missing or extra or wrong else 0)
