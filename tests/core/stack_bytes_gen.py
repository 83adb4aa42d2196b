#!/usr/bin/env python3
"""Checks the stack bytes pfipc works out from debug information against
what the compilers really do.

The signatures: every function the argument matrix exports
(tests/core/args_test.c), every signature pfidl's own stack-bytes test
checks (abi.pfidl and the same 150 seeded random ones), and COUNT random
signatures of this generator's own, over the types pfidl cannot express:
__int128, _Float128, complex and vector types, unions, bit-fields, packed
and over-aligned structs, empty structs, variadic functions, results
returned in memory. Each becomes a C function, built with -g into a shared
library by every compiler found (gcc, clang, and any clang-NN on the PATH),
at -O0, at -O2, and at -O2 with DWARF 4. stack_bytes_probe then measures,
without any model of the ABI, how many stack bytes each compiled function
reads, and compares that with pfipc's answer.

usage: stack_bytes_gen.py PROBE PFIDL_PY ABI_PFIDL PFIDL_STACK_TEST ARGS_TEST
                          [--count N] [--seed S] [--keep DIR]
"""

import argparse
import glob
import importlib.util
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True

VARIANTS = [("O0", ["-O0", "-g"]), ("O2", ["-O2", "-g"]),
            ("O2-dwarf4", ["-O2", "-gdwarf-4"])]

PRELUDE = r"""
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* Set by the probe: every function hashes the bytes of its parameters. */
void (*probe_mix)(const void *, size_t);
#define M(x) probe_mix(&(x), sizeof (x))

struct probe_fn {
	const char *name;
	void *fn;
};

typedef float v4sf __attribute__((vector_size(16)));
typedef double v2df __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));
typedef char v16qi __attribute__((vector_size(16)));
typedef float v2sf __attribute__((vector_size(8)));
typedef char v8qi __attribute__((vector_size(8)));
typedef short v4hi __attribute__((vector_size(8)));
typedef int v2si __attribute__((vector_size(8)));
typedef long long v1di __attribute__((vector_size(8)));
typedef double v1df __attribute__((vector_size(8)));
typedef char v4qi __attribute__((vector_size(4)));
typedef short v2hi __attribute__((vector_size(4)));
typedef long along16 __attribute__((aligned(16)));
enum small { SMALL_A, SMALL_B };
enum wide { WIDE_A, WIDE_B = 0x7fffffffffffL };
"""

SCALARS = ["_Bool", "char", "signed char", "unsigned char", "short",
           "unsigned short", "int", "unsigned", "long", "unsigned long",
           "long long", "size_t", "int64_t", "void *", "const char *",
           "float", "double", "long double", "__int128",
           "unsigned __int128", "float _Complex", "double _Complex",
           "long double _Complex", "_Complex int", "_Complex long",
           "_Complex char", "_Complex short", "enum small", "enum wide",
           "v4sf", "v2df", "v4si", "v16qi", "v2sf", "v8qi", "v4hi", "v2si",
           "v1di", "v1df", "v4qi", "v2hi", "along16"]
# Weighted towards what fills registers, so that the stack is reached.
COMMON = ["int", "long", "double", "float", "long double", "__int128",
          "void *", "char"]
# Passed only where the compiler knows them.
OPTIONAL = ["__float128", "_Float128", "_Float16", "_Float64x", "_Float32x",
            "_Decimal32", "_Decimal64", "_Decimal128", "_Complex _Float16",
            "_Complex _Float128"]
# A bit-field's type, its widest width, and the bits of the type.
BITFIELD_TYPES = [("int", 32, 32), ("unsigned", 32, 32), ("long", 64, 64),
                  ("unsigned char", 8, 8), ("short", 16, 16), ("_Bool", 1, 8)]


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the fixed signatures ---------------------------------------------------

def param_names(params):
    """The names in a C parameter list, and whether it ends with '...'."""
    names, variadic = [], False
    for p in (p.strip() for p in params.split(",")):
        if p == "...":
            variadic = True
        elif p and p != "void":
            names.append(re.findall(r"\w+", p)[-1])
    return names, variadic


def function(ret, name, params, names):
    body = "".join(f"\tM({n});\n" for n in names)
    if ret.strip() != "void":
        body += f"\t{ret} r;\n\tmemset(&r, 0, sizeof r);\n\treturn r;\n"
    return f"{ret} {name}({params})\n{{\n{body}}}\n"


def args_matrix(path):
    """The structs and the exported functions of the argument matrix."""
    text = open(path).read()
    exported = set(re.findall(r'\(void \*\)(\w+)', text))
    out = [s + "\n" for s in re.findall(r"^struct \w+ \{[^}]*\};", text, re.M)]
    names = []
    for ret, name, params in re.findall(
            r"^static ((?:struct )?[\w ]+?\s*\**)\s*(\w+)\(([^)]*)\)\s*\{",
            text, re.M):
        if name not in exported:
            continue
        params = " ".join(params.split())
        out.append(function(ret, "a_" + name, params, param_names(params)[0]))
        names.append("a_" + name)
    # Functions written in assembly (the x87 tests) have no C body to copy.
    in_asm = set(re.findall(r'^\s*"(\w+):\\n"', text, re.M))
    missing = exported - {n[2:] for n in names} - in_asm
    if missing:
        sys.exit(f"{path}: cannot read the signatures of {sorted(missing)}")
    return "".join(out), names


def pfidl_signatures(pfidl_py, abi_path, stack_test):
    """abi.pfidl and the random signatures pfidl's stack-bytes test adds."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(pfidl_py)))
    from idl import load
    from idl.gen_types import struct_definitions
    saved, sys.argv = sys.argv, [stack_test, pfidl_py]
    try:
        test = load_module(stack_test, "pfidl_stack_bytes_test")
    finally:
        sys.argv = saved
    text = open(abi_path).read()
    iface = load(test.random_interface(text, random.Random(6), 150), abi_path)
    out, names = [struct_definitions(iface)], []
    for fn in iface.functions:
        out.append(pfidl_function(fn, "p_" + fn.name))
        names.append("p_" + fn.name)
    return "".join(out), names


def pfidl_function(fn, name):
    from idl.cnames import declarator, spell
    body = "".join(f"\tM({p.name});\n" for p in fn.params)
    ret = spell(fn.ret)
    if ret != "void":
        body += f"\t{ret} r;\n\tmemset(&r, 0, sizeof r);\n\treturn r;\n"
    return f"{declarator(fn, name)}\n{{\n{body}}}\n"


# -- random signatures ------------------------------------------------------

class Generator:
    def __init__(self, rng, optional, clang):
        self.rng = rng
        self.scalars = SCALARS + optional
        # clang writes "int f : 32" at a byte boundary into DWARF as a
        # plain int, so pfipc cannot tell it is a bit-field (README).
        self.full_width = not clang
        self.structs = []       # C definitions, in order
        self.types = []         # usable aggregate type names

    def scalar(self):
        pool = COMMON if self.rng.random() < 0.45 else self.scalars
        return self.rng.choice(pool)

    def field(self, i, depth, union, packed):
        r = self.rng.random()
        if r < 0.12 and depth < 2:
            return f"\t{self.aggregate(depth + 1)} f{i};\n"
        if r < 0.25:
            t = self.rng.choice([s for s in self.scalars
                                 if "_Complex" not in s and s[0] != "v" and
                                 s != "along16"])
            return f"\t{t} f{i}[{self.rng.randint(1, 4)}];\n"
        # clang checks a packed struct's fields against the alignment
        # of their types, and a bit-field's type makes a packed struct
        # look aligned in DWARF (see the README's limitations).
        if r < 0.37 and not union and not (packed and not self.full_width):
            t, widest, bits = self.rng.choice(BITFIELD_TYPES)
            if self.rng.random() < 0.1:
                return f"\t{t} : 0;\n"
            width = self.rng.randint(1, widest)
            if width == bits and not self.full_width:
                width -= 1
            return f"\t{t} f{i} : {width};\n"
        return f"\t{self.scalar()} f{i};\n"

    def aggregate(self, depth=0):
        rng = self.rng
        if self.types and rng.random() < 0.3:
            return rng.choice(self.types)
        union = rng.random() < 0.15
        attrs, fields = [], []
        r = rng.random()
        if r < 0.1 and not union:
            # DWARF does not record packing: pfipc sees it only where a
            # member sits off its alignment, which a leading char makes
            # likely (see the README's limitations).
            attrs.append("packed")
            fields.append("\tchar lead;\n")
        elif r < 0.18:
            attrs.append(f"aligned({rng.choice([16, 32])})")
        packed = bool(fields)
        n = 0 if rng.random() < 0.03 else rng.randint(1, 4)
        fields += [self.field(i, depth, union, packed) for i in range(n)]
        named = any(re.search(r" (f\d+|lead)\b", f) for f in fields)
        if not union and named and rng.random() < 0.06:
            # A flexible array member, or GNU C's zero-length array.
            fields.append(rng.choice(["\tint tail[];\n", "\tlong zero[0];\n"]))
        kind = "union" if union else "struct"
        tag = f"s{len(self.structs)}"
        attr = f" __attribute__(({', '.join(attrs)}))" if attrs else ""
        self.structs.append(f"{kind}{attr} {tag} {{\n{''.join(fields)}}};\n")
        name = f"{kind} {tag}"
        self.types.append(name)
        return name

    def param_type(self):
        return self.aggregate() if self.rng.random() < 0.3 else self.scalar()

    def signature(self, name):
        rng = self.rng
        n = rng.randint(0, 12)
        params = [f"{self.param_type()} p{k}" for k in range(n)]
        variadic = n > 0 and rng.random() < 0.12
        r = rng.random()
        ret = ("void" if r < 0.3 else self.aggregate() if r < 0.6
               else self.scalar())
        if ret == "long double _Complex" or "_Complex _Float128" in ret:
            ret = "double"
        plist = ", ".join(params + (["..."] if variadic else [])) or "void"
        return function(ret, name, plist, [f"p{k}" for k in range(n)])


# -- building and probing ---------------------------------------------------

def compilers():
    """gcc, clang and every clang-NN on the PATH, each compiler once."""
    names = ["gcc", "clang"]
    for d in os.environ.get("PATH", "").split(os.pathsep):
        names += sorted(os.path.basename(p)
                        for p in glob.glob(os.path.join(d, "clang-[0-9]*"))
                        if re.fullmatch(r"clang-\d+", os.path.basename(p)))
    found, seen = [], set()
    for name in names:
        path = shutil.which(name)
        if path and os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            found.append(name)
    return found


def supported(cc, t, tmp):
    src = os.path.join(tmp, "feature.c")
    with open(src, "w") as f:
        f.write(f"{t} probe_feature({t} x) {{ return x; }}\n")
    return subprocess.run([cc, "-c", "-w", "-o", os.devnull, src],
                          capture_output=True).returncode == 0


def is_clang(cc):
    r = subprocess.run([cc, "--version"], capture_output=True, text=True)
    return "clang" in r.stdout


def program(fixed, fixed_names, rng, optional, clang, count):
    gen = Generator(rng, optional, clang)
    fns = [gen.signature(f"r_{i}") for i in range(count)]
    names = fixed_names + [f"r_{i}" for i in range(count)]
    table = "".join(f'\t{{ "{n}", (void *){n} }},\n' for n in names)
    return (PRELUDE + fixed + "".join(gen.structs) + "".join(fns) +
            f"const struct probe_fn probe_table[] = {{\n{table}\t{{ 0 }},\n}};\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("probe")
    ap.add_argument("pfidl_py")
    ap.add_argument("abi_pfidl")
    ap.add_argument("pfidl_stack_test")
    ap.add_argument("args_test")
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep")
    a = ap.parse_args()

    ccs = compilers()
    if not ccs:
        print("no C compiler found")
        return 77
    matrix, matrix_names = args_matrix(a.args_test)
    pfidl, pfidl_names = pfidl_signatures(a.pfidl_py, a.abi_pfidl,
                                          a.pfidl_stack_test)
    fixed, fixed_names = matrix + pfidl, matrix_names + pfidl_names

    tmp = a.keep or tempfile.mkdtemp(prefix="pfipc-stack-bytes-")
    os.makedirs(tmp, exist_ok=True)
    failures = 0
    try:
        for cc in ccs:
            optional = [t for t in OPTIONAL if supported(cc, t, tmp)]
            src = os.path.join(tmp, f"sigs-{cc}.c")
            with open(src, "w") as f:
                f.write(program(fixed, fixed_names, random.Random(a.seed),
                                optional, is_clang(cc), a.count))
            for tag, flags in VARIANTS:
                lib = os.path.join(tmp, f"sigs-{cc}-{tag}.so")
                built = subprocess.run([cc, "-std=gnu11", "-fPIC", "-shared",
                                        "-w", *flags, "-o", lib, src],
                                       capture_output=True, text=True)
                if built.returncode:
                    print(f"{cc} {tag}: does not build:\n{built.stderr}")
                    failures += 1
                    continue
                r = subprocess.run([a.probe, lib], capture_output=True,
                                   text=True)
                out = r.stdout.strip().splitlines()
                print(f"{cc} {tag}: {out[-1] if out else r.stderr.strip()}")
                for line in out[:-1]:
                    print("  " + line)
                failures += r.returncode != 0
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(ccs) * len(VARIANTS)} builds: {failures} with disagreements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
