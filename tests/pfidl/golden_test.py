#!/usr/bin/env python3
"""Compares what pfidl writes for a few interfaces with checked-in copies.

For each INTERFACE.pfidl, golden/NAME/ holds the three files pfidl writes
(NAME is the interface file's name without .pfidl). A difference is shown as
a unified diff. After an intended change to the generated code, rewrite the
copies with --update and review them with git diff.

With --include DIR (repeatable: where pfipc.h and pfipc_version.h are),
every generated file is also compiled with -Wall -Wextra -Werror, so a
golden copy cannot be wrong C.

usage: golden_test.py PFIDL_PY GOLDEN_DIR INTERFACE.pfidl...
                      [--include DIR]... [--update]
"""

import difflib
import os
import shutil
import subprocess
import sys
import tempfile


def generate(pfidl, interface, outdir):
    subprocess.run([sys.executable, pfidl, "-o", outdir, interface],
                   check=True)
    return sorted(os.listdir(outdir))


def compare(expected_dir, actual_dir, names):
    failures = 0
    expected_names = sorted(os.listdir(expected_dir)) \
        if os.path.isdir(expected_dir) else []
    for name in sorted(set(names) | set(expected_names)):
        want_path = os.path.join(expected_dir, name)
        got_path = os.path.join(actual_dir, name)
        want = _read(want_path)
        got = _read(got_path)
        if want == got:
            print(f"ok   {want_path}")
            continue
        failures += 1
        print(f"FAIL {want_path}")
        sys.stdout.writelines(difflib.unified_diff(
            want, got, want_path, "pfidl output"))
    return failures


def compile_check(outdir, names, includes):
    """Problems the C compiler finds in the generated files."""
    cc = os.environ.get("CC", "cc")
    failures = 0
    flags = [f for d in includes for f in ("-I", d)]
    for name in names:
        r = subprocess.run([cc, "-std=gnu11", "-fsyntax-only", "-Wall",
                            "-Wextra", "-Werror", "-x", "c", *flags,
                            "-I", outdir, os.path.join(outdir, name)],
                           capture_output=True, text=True)
        if r.returncode:
            failures += 1
            print(f"FAIL {name} does not compile:\n{r.stderr}")
    return failures


def _read(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.readlines()


def main():
    args = [a for a in sys.argv[1:] if a != "--update"]
    update = "--update" in sys.argv
    # --include DIR, as often as needed (pfipc.h and the generated
    # pfipc_version.h live in different trees).
    includes = []
    while "--include" in args:
        i = args.index("--include")
        includes.append(args[i + 1])
        del args[i:i + 2]
    pfidl, golden, interfaces = args[0], args[1], args[2:]
    failures = 0
    for interface in interfaces:
        stem = os.path.basename(interface)[:-len(".pfidl")]
        expected = os.path.join(golden, stem)
        with tempfile.TemporaryDirectory() as tmp:
            # Generate from a copy named as in the source tree, so that the
            # file name the banners print is the same wherever it runs.
            copy = os.path.join(tmp, os.path.basename(interface))
            shutil.copy(interface, copy)
            out = os.path.join(tmp, "out")
            os.mkdir(out)
            names = generate(pfidl, copy, out)
            if includes:
                failures += compile_check(out, names, includes)
            if update:
                shutil.rmtree(expected, ignore_errors=True)
                shutil.copytree(out, expected)
                print(f"updated {expected}")
            else:
                failures += compare(expected, out, names)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
