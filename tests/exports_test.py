#!/usr/bin/env python3
"""The shared library exports exactly the header's pf_ functions, plus the
interposed sigaction and signal, and nothing else.

usage: exports_test.py HEADER LIBRARY
"""
import re
import subprocess
import sys

header, library = sys.argv[1], sys.argv[2]
text = open(header).read()
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)   # comments mention names too
declared = set(re.findall(r"^[a-z_ \*]*?\b(pf_[a-z_0-9]+)\s*\(", text, flags=re.M))
expected = declared | {"sigaction", "signal"}

out = subprocess.run(["nm", "-D", "--defined-only", library],
                     capture_output=True, text=True, check=True).stdout
exported = {line.split()[-1].split("@")[0] for line in out.splitlines()
            if line.split()[1] in ("T", "W", "D", "B", "R")}

missing = sorted(expected - exported)
extra = sorted(exported - expected)
if missing:
    print("declared in the header but not exported:", ", ".join(missing))
if extra:
    print("exported but not in the header:", ", ".join(extra))
print(f"{len(exported)} exported symbols checked against {len(expected)} declared")
sys.exit(1 if missing or extra else 0)
