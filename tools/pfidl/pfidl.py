#!/usr/bin/env python3
"""pfidl - write the C that imports and exports a pfipc interface.

From one interface file (see doc/pfidl.md) it writes three files:
  NAME_client.h   typed gates, NAME_client_init() and one C call per function
  NAME_server.h   the NAME_FUNCTION_impl functions a server defines
  NAME_exports.c  NAME_server_register(): pf_export of every function with
                  its stack-argument bytes, buffers and flags
NAME is the interface name. Each path can be given on its own, as a build
system that must know its outputs in advance does.
"""

import argparse
import os
import sys

# The tool runs from source trees; leave no __pycache__ behind in them.
sys.dont_write_bytecode = True

from idl import IdlError, load  # noqa: E402
from idl.gen_client import client_header  # noqa: E402
from idl.gen_server import server_header, server_source  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="pfidl", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("interface", help="the interface file (.pfidl)")
    ap.add_argument("-o", "--outdir", default=".",
                    help="where files not named below go (default: .)")
    ap.add_argument("--client-header", metavar="FILE")
    ap.add_argument("--server-header", metavar="FILE")
    ap.add_argument("--server-source", metavar="FILE")
    ap.add_argument("--check", action="store_true",
                    help="only check the interface file; write nothing")
    return ap.parse_args(argv)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv=None):
    args = parse_args(argv)
    try:
        with open(args.interface, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        print(f"pfidl: cannot read {args.interface}: {e.strerror}",
              file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"pfidl: {args.interface} is not UTF-8 text", file=sys.stderr)
        return 1
    try:
        iface = load(text, args.interface)
    except IdlError as e:
        print(e, file=sys.stderr)
        return 1
    if args.check:
        return 0

    def out(given, suffix):
        return given or os.path.join(args.outdir, f"{iface.name}{suffix}")

    client_h = out(args.client_header, "_client.h")
    server_h = out(args.server_header, "_server.h")
    server_c = out(args.server_source, "_exports.c")
    write(client_h, client_header(iface, os.path.basename(client_h)))
    write(server_h, server_header(iface, os.path.basename(server_h)))
    write(server_c, server_source(iface, os.path.basename(server_c),
                                  os.path.basename(server_h)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
