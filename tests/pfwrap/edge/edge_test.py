#!/usr/bin/env python3
"""pfwrap on a library of edge cases (edge.h): stack-argument bytes worked
out from the header as the psABI places the arguments, a struct result in
memory served with a note, refusals named with their reasons, and the same
output from edge_demo linked directly and through the shim.

usage: edge_test.py PFWRAP EDGE_DIRECT EDGE_SHIM --library LIB --header H
                    --clash CLASH_LIB CLASH_H --pfipc LIBPFIPC --cc CC
                    --shim SHIM_SO
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ap = argparse.ArgumentParser()
ap.add_argument("pfwrap")
ap.add_argument("direct")
ap.add_argument("shim_exe")
ap.add_argument("--library")
ap.add_argument("--header")
ap.add_argument("--clash", nargs=2)
ap.add_argument("--pfipc")
ap.add_argument("--cc")
ap.add_argument("--shim")
ARGS = ap.parse_args()

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(ARGS.pfwrap)))
from wrap.closure import RUNTIME_IMPORTS  # noqa: E402
from wrap.elf import Elf  # noqa: E402

# Where System V puts these arguments (psABI 3.2.3), worked out by hand:
# integers past the sixth, doubles past the eighth, long doubles and structs
# over 16 bytes take 8-byte words of the stack.
EXPECTED_STACK_BYTES = {
    "edge_sum8": 16,        # g, h
    "edge_mix": 32,         # i, i2, j (a float takes a word), p
    "edge_ldmul": 32,       # two long doubles, 16 each
    "edge_big_sum": 40,     # struct edge_big, 5 longs
    "edge_big_make": 0,     # the result's hidden pointer goes in rdi
    "edge_pair_swap": 0,    # xmm0 and rdi
    "edge_cmul": 0,         # xmm0-3
    "edge_cld_conj": 32,    # a long double _Complex is passed in memory
    "edge_i128_mul": 0,     # rdi:rsi, rdx
    "edge_each": 0,
    "edge_sum8_twice": 0,
}


def pfwrap(library, header, cc=None, cflags=""):
    p = subprocess.run([sys.executable, ARGS.pfwrap, "--library", library,
                        "--header", header, "--pfipc", ARGS.pfipc, "--cc", cc or ARGS.cc,
                        "--cflags=" + cflags],
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def lines(report, verb):
    """{name: rest of line} for the report's lines of one kind."""
    out = {}
    for line in report.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0] == verb:
            out[parts[1]] = parts[2]
    return out


def run(exe):
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "stats")
        p = subprocess.run([exe], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PFWRAP_STATS=stats))
        if p.returncode != 0:
            raise AssertionError(f"{exe} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        counts = {}
        if os.path.exists(stats):
            with open(stats) as f:
                for line in f:
                    if not line.startswith("#"):
                        name, n = line.split()
                        counts[name] = int(n)
        return p.stdout, p.stderr, counts


class EdgeLibrary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rc, cls.report, cls.err = pfwrap(ARGS.library, ARGS.header)
        cls.direct = run(ARGS.direct)
        cls.shim = run(ARGS.shim_exe)

    def test_tool_succeeds(self):
        self.assertEqual(self.rc, 0, self.err)

    def test_stack_bytes_match_the_abi(self):
        served = lines(self.report, "serve")
        got = {name: int(rest.split()[0]) for name, rest in served.items()}
        self.assertEqual(got, EXPECTED_STACK_BYTES)

    def test_every_compiler_and_dwarf_version_reads_the_same_prototypes(self):
        # gcc and clang write DWARF differently (clang: string indexes),
        # and DWARF 2, 4 and 5 differ in forms.
        compilers = [c for c in ("gcc", "clang") if shutil.which(c)]
        for cc in compilers:
            for version in ("-gdwarf-2", "-gdwarf-4", "-gdwarf-5"):
                with self.subTest(cc=cc, dwarf=version):
                    rc, report, err = pfwrap(ARGS.library, ARGS.header, cc, version)
                    self.assertEqual(rc, 0, err)
                    served = lines(report, "serve")
                    got = {n: int(rest.split()[0]) for n, rest in served.items()}
                    self.assertEqual(got, EXPECTED_STACK_BYTES)
                    self.assertEqual(set(lines(report, "refuse")), set(lines(self.report, "refuse")))

    def test_struct_result_in_memory_is_served_with_a_note(self):
        notes = lines(self.report, "note")
        self.assertEqual(set(notes), {"edge_big_make"})
        self.assertIn("hidden pointer", notes["edge_big_make"])

    def test_refusals_are_named_with_reasons(self):
        refused = lines(self.report, "refuse")
        self.assertRegex(refused.get("edge_printf", ""), r"^variadic")
        self.assertRegex(refused.get("edge_counter", ""), r"^data \(OBJECT\)")
        self.assertRegex(refused.get("edge_old", ""), r"without a prototype")
        self.assertRegex(refused.get("edge_hidden_helper", ""), r"no prototype in the header")

    def test_same_output_through_the_shim(self):
        self.assertIn("sum8_twice", self.direct[0])
        self.assertEqual(self.shim[0], self.direct[0])

    def test_every_served_function_was_served(self):
        self.assertEqual(set(self.shim[2]), set(EXPECTED_STACK_BYTES))

    def test_library_calling_its_own_export_stays_in_the_server(self):
        # edge_demo calls edge_sum8 three times; edge_sum8_twice calls it
        # twice more from inside the library, on the server's thread.
        self.assertEqual(self.shim[2].get("edge_sum8"), 3)

    def test_callback_runs_on_the_servers_thread(self):
        self.assertIn("callback ran 0 times on another thread", self.direct[1])
        self.assertIn("callback ran 10 times on another thread", self.shim[1])

    def test_name_pfipc_dependency_imports_is_refused(self):
        rc, report, err = pfwrap(*ARGS.clash)
        self.assertEqual(rc, 0, err)
        refused = lines(report, "refuse")
        self.assertRegex(refused.get("cs_open", ""), r"^libpfipc imports it")
        self.assertIn("clash_fine", lines(report, "serve"))

    def test_library_pfipc_loads_is_refused_whole(self):
        libc = subprocess.run(ARGS.cc.split() + ["-print-file-name=libc.so.6"],
                              capture_output=True, text=True).stdout.strip()
        if not os.path.isabs(libc):
            self.skipTest("the compiler does not say where libc.so.6 is")
        rc, report, err = pfwrap(libc, "string.h")
        self.assertEqual(rc, 1)
        self.assertIn("is loaded by libpfipc itself", err)
        self.assertEqual(report, "")

    def test_runtime_imports_are_all_known(self):
        # The shim's own calls (besides pfipc's pf_ functions) must be in the
        # list pfwrap refuses to wrap, or a wrapped library could capture them.
        # A build with sanitizers adds calls into their runtime, which no
        # wrapped library defines.
        sanitizer = ("__asan_", "__ubsan_", "__tsan_", "__lsan_", "__sanitizer_")
        undefined = {n for n in Elf(ARGS.shim).undefined_names()
                     if not n.startswith("pf_") and not n.startswith(sanitizer)}
        self.assertEqual(undefined - RUNTIME_IMPORTS, set())


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
