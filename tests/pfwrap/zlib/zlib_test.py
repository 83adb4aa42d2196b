#!/usr/bin/env python3
"""The wrapped-library test: zdemo (an ordinary zlib program) linked directly
against libz, linked against the pfwrap shim instead, and run with the shim
preloaded in front of libz, must print the same; through the shim, more than
1,000 calls must have been served by the libz process, to several distinct
functions, and zlib's calls back into the program must have run on another
thread than the caller's.

usage: zlib_test.py ZDEMO_DIRECT ZDEMO_SHIM LIBZ_SHIM
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

DIRECT, SHIM_EXE, SHIM_SO = (os.path.abspath(a) for a in sys.argv[1:4])


def sanitized(exe):
    """AddressSanitizer's runtime must come first among the loaded
    libraries, so a preloaded shim cannot run with it."""
    p = subprocess.run(["ldd", exe], capture_output=True, text=True)
    return "libasan" in p.stdout


def run(exe, preload=None):
    """(stdout, stderr, {function: calls served}) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "stats")
        env = dict(os.environ, PFWRAP_STATS=stats)
        if preload:
            env["LD_PRELOAD"] = preload
        p = subprocess.run([exe], capture_output=True, text=True, env=env, timeout=100)
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


def callbacks(stderr):
    m = re.search(r"allocator callbacks: (\d+) on the calling thread, (\d+) on another", stderr)
    assert m, stderr
    return int(m.group(1)), int(m.group(2))


class WrappedZlib(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.direct = run(DIRECT)
        cls.linked = run(SHIM_EXE)
        cls.preloaded = None if sanitized(DIRECT) else run(DIRECT, preload=SHIM_SO)

    def runs(self):
        return [r for r in (self.linked, self.preloaded) if r is not None]

    def test_direct_run_passes_its_own_checks(self):
        self.assertIn("all checks passed", self.direct[0])
        self.assertEqual(self.direct[2], {}, "nothing served without the shim")

    def test_linked_through_shim_prints_the_same(self):
        self.assertEqual(self.linked[0], self.direct[0])

    def test_preloaded_shim_prints_the_same(self):
        if self.preloaded is None:
            self.skipTest("AddressSanitizer build: nothing can be preloaded before it")
        self.assertEqual(self.preloaded[0], self.direct[0])

    def test_more_than_1000_calls_served(self):
        for run_ in self.runs():
            self.assertGreater(sum(run_[2].values()), 1000, run_[2])

    def test_several_distinct_functions_served(self):
        for run_ in self.runs():
            served = {f for f, n in run_[2].items() if n > 0}
            self.assertGreaterEqual(len(served), 8, served)
            for f in ("deflate", "inflate", "crc32", "adler32", "compress2", "uncompress"):
                self.assertIn(f, served)

    def test_interior_calls_are_not_served_twice(self):
        # compress2 calls deflate inside libz; preloaded, that call reaches
        # the shim's stub on the server's thread and must run there directly.
        if self.preloaded is None:
            self.skipTest("AddressSanitizer build: nothing can be preloaded before it")
        self.assertEqual(self.preloaded[2], self.linked[2])

    def test_callbacks_run_on_the_calling_thread_directly(self):
        caller, other = callbacks(self.direct[1])
        self.assertGreater(caller, 0)
        self.assertEqual(other, 0)

    def test_callbacks_run_on_the_servers_thread_through_the_shim(self):
        for run_ in self.runs():
            caller, other = callbacks(run_[1])
            self.assertEqual(caller, 0)
            self.assertGreater(other, 0)


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2).result
    if hasattr(WrappedZlib, "linked"):
        counts = WrappedZlib.linked[2]
        print(f"served {sum(counts.values())} calls to {len(counts)} functions: "
              + ", ".join(f"{f} {n}" for f, n in sorted(counts.items(), key=lambda x: -x[1])))
    sys.exit(0 if result.wasSuccessful() else 1)
