#!/usr/bin/env python3
"""pfwrap - serve an unmodified shared library from a pfipc process.

Reads a shared library's exported functions and the prototypes its header
declares, and writes the sources of a shim library (see doc/pfwrap.md):
  BASE_stubs.S         one stub per function under the library's own name,
                       a jump through the calling process's import slot
  BASE_table.c         names, stack-argument bytes, the library to load
  pfwrap_runtime.[ch], pfwrap_stats.c, pfwrap_first_call.S
                       the runtime every shim shares
Build them into a shared library linked with libpfipc; a program linked
with it (instead of the library, or before it) has every call into the
library served by a process named after the library.

Every symbol is either served or refused with a reason, on standard output.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

# The tool runs from source trees; leave no __pycache__ behind in them.
sys.dont_write_bytecode = True

from wrap import closure as cl  # noqa: E402
from wrap.elf import Elf, ElfError  # noqa: E402
from wrap.generate import write_shim  # noqa: E402
from wrap.plan import check_capacity, decide  # noqa: E402
from wrap.prototypes import CompilerError, probe  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="pfwrap", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", required=True,
                    help="the shared library to serve (libz.so.1)")
    ap.add_argument("--header", action="append", required=True,
                    help="a header declaring its functions (repeatable)")
    ap.add_argument("--cflags", default="",
                    help="flags to compile the header with (-I, -D)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"),
                    help="the C compiler that reads the header (default: $CC or cc)")
    ap.add_argument("--pfipc", metavar="LIBPFIPC",
                    help="the libpfipc.so the shim links with "
                         "(default: from pkg-config)")
    ap.add_argument("--name",
                    help="the server process's name (default: from the soname)")
    ap.add_argument("--load", metavar="NAME",
                    help="what the server dlopens (default: the soname)")
    ap.add_argument("--only", metavar="F,G,...",
                    help="serve only these functions")
    ap.add_argument("-o", "--outdir",
                    help="write the shim's sources here (else only report)")
    ap.add_argument("--base", help="prefix of the generated files (default: NAME)")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="report only what is refused")
    return ap.parse_args(argv)


def default_pfipc():
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "pfipc"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    path = os.path.join(libdir, "libpfipc.so")
    return path if os.path.exists(path) else None


def process_name(soname):
    """libz.so.1 -> libz: a pfipc process name (1 to 31 of [A-Za-z0-9_-])."""
    base = soname.split(".so")[0] or soname
    return re.sub(r"[^A-Za-z0-9_-]", "_", base)[:31] or "library"


def report(lib_name, lib, decisions, process, quiet=False, out=sys.stdout):
    served = [d for d in decisions if d.served]
    refused = [d for d in decisions if not d.served]
    print(f"pfwrap: {lib_name} ({lib.path}): {len(served)} functions served by "
          f"process {process}, {len(refused)} symbols refused", file=out)
    width = max((len(d.name) for d in decisions), default=0)
    for d in decisions:
        if d.served and quiet:
            continue
        if d.served:
            print(f"  serve   {d.name:<{width}}  {d.stack_bytes:3} stack bytes  {d.spelled}",
                  file=out)
            if d.reason:
                print(f"  note    {d.name:<{width}}  {d.reason}", file=out)
        else:
            print(f"  refuse  {d.name:<{width}}  {d.reason}", file=out)


def main(argv=None):
    args = parse_args(argv)
    cc = shlex.split(args.cc)
    cflags = shlex.split(args.cflags)
    pfipc = args.pfipc or default_pfipc()
    if not pfipc:
        print("pfwrap: libpfipc not found with pkg-config: give --pfipc", file=sys.stderr)
        return 1
    try:
        lib = Elf(args.library)
        _, soname = lib.dynamic()
        lib_name = soname or os.path.basename(args.library)
        closure = cl.pfipc_closure(pfipc)
        loaded_as = cl.loaded_by_pfipc(closure, args.library)
        if loaded_as:
            print(f"pfwrap: refused: {lib_name} is loaded by libpfipc itself (as "
                  f"{loaded_as}): each call pfipc makes into it would go through "
                  "pfipc, the fault handler's own included", file=sys.stderr)
            return 1
        symbols = [s for s in lib.defined_symbols()]
        names = sorted({s.name for s in symbols if s.kind in ("FUNC", "IFUNC")})
        protos = probe(cc, cflags, args.header, names)
    except (ElfError, CompilerError, OSError) as e:
        print(f"pfwrap: {e}", file=sys.stderr)
        return 1
    only = set(args.only.split(",")) if args.only else None
    decisions = decide(symbols, protos, closure, only)
    process = args.name or process_name(lib_name)
    if not re.match(r"^[A-Za-z0-9_-]{1,31}$", process):
        print(f"pfwrap: {process!r} is not a pfipc process name", file=sys.stderr)
        return 1
    ns = process.replace("-", "_")
    report(lib_name, lib, decisions, process, args.quiet)
    problem = check_capacity(decisions)
    if problem:
        print(f"pfwrap: {problem}", file=sys.stderr)
        return 1
    if not any(d.served for d in decisions):
        print("pfwrap: no function can be served", file=sys.stderr)
        return 1
    if args.outdir:
        write_shim(args.outdir, args.base or ns, lib, args.header, decisions,
                   args.load or lib_name, process, ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
