#!/usr/bin/env python3
"""Checks pfidl's argument placement against what C compilers really do.

For every signature (those of abi.pfidl plus a seeded random sweep) a C
caller passes distinct, recognisable values to a probe written in assembly.
The probe records the six integer registers, xmm0-7 and the first 512 bytes
above its return address. Then each argument's bytes must be found exactly
where pfidl says the compiler puts them: the registers pfidl assigned, or the
stack offset pfidl computed. Since stack bytes are where the last stack
argument ends, a placement that checks out for every argument is the stack
byte count the compiler used. Each compiler found (gcc, clang) is run at -O0
and -O2.

usage: stack_bytes_test.py PFIDL_PY ABI_PFIDL [--show]
"""

import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[1])))

from idl import load, lay_out_function  # noqa: E402
from idl.cnames import param_list, spell  # noqa: E402
from idl.gen_types import struct_definitions  # noqa: E402
from idl.types import Array, Pointer, Struct  # noqa: E402

CAPTURE_STACK = 512
XMM_BASE = 6 * 8
STACK_BASE = XMM_BASE + 8 * 16

PROBE = r"""
/* The probe: whatever signature it is called with, it records the argument
 * registers and the stack arguments, then returns. */
unsigned char capture[%(total)d];
void probe(void);
__asm__(
	".text\n"
	".globl probe\n"
	".type probe, @function\n"
	"probe:\n"
	"	movq %%rdi, capture+0(%%rip)\n"
	"	movq %%rsi, capture+8(%%rip)\n"
	"	movq %%rdx, capture+16(%%rip)\n"
	"	movq %%rcx, capture+24(%%rip)\n"
	"	movq %%r8, capture+32(%%rip)\n"
	"	movq %%r9, capture+40(%%rip)\n"
%(xmm)s
	/* the stack arguments start just above the return address */
	"	leaq 8(%%rsp), %%rsi\n"
	"	leaq capture+%(stack)d(%%rip), %%rdi\n"
	"	movl $%(nstack)d, %%ecx\n"
	"	rep movsb\n"
	"	xorl %%eax, %%eax\n"
	"	xorl %%edx, %%edx\n"
	"	ret\n"
	".size probe, .-probe\n");
/* Called through a volatile pointer so that no compiler sees the mismatch
 * between the probe's definition and the type of each call. */
void *volatile probe_ptr = (void *)probe;

static void dump(int n)
{
	printf("%%d ", n);
	for (unsigned i = 0; i < sizeof(capture); i++)
		printf("%%02x", capture[i]);
	printf("\n");
}
"""


def probe_source():
    xmm = "\n".join(f'\t"\tmovdqu %xmm{i}, capture+{XMM_BASE + 16 * i}'
                    f'(%rip)\\n"' for i in range(8))
    return PROBE % {"total": STACK_BASE + CAPTURE_STACK, "xmm": xmm,
                    "stack": STACK_BASE, "nstack": CAPTURE_STACK}


# -- recognisable values ----------------------------------------------------

class Values:
    """Hands out values no two arguments share, each with its C literal and
    the bytes it occupies in memory (None marks padding, which is
    unspecified)."""

    def __init__(self):
        self.n = 0

    def next(self):
        self.n += 1
        return self.n

    def of(self, t):
        if isinstance(t, Struct):
            image = [None] * t.size
            parts = []
            for f in t.fields:
                lit, data = self.of(f.type)
                image[f.offset:f.offset + len(data)] = data
                parts.append(f".{f.name} = {lit}")
            return f"(struct {t.cname}){{ {', '.join(parts)} }}", image
        if isinstance(t, Array):
            lits, image = [], []
            for _ in range(t.count):
                lit, data = self.of(t.elem)
                lits.append(lit)
                image += data
            return "{ " + ", ".join(lits) + " }", image
        if isinstance(t, Pointer):
            v = 0x00007A5E00000000 | self.next() << 4
            return f"({spell(t)}){v:#x}ULL", list(v.to_bytes(8, "little"))
        return self.scalar(t)

    def scalar(self, t):
        k = self.next()
        if t.c == "bool":
            return "1", [1]
        if t.c == "float":
            v = k * 4 + 0.5       # exact in binary32
            return f"{v.hex()}f", list(struct.pack("<f", v))
        if t.c == "double":
            v = k * 1024 + 0.25
            return v.hex(), list(struct.pack("<d", v))
        if t.c == "long double":
            v = k * 65536 + 0.75
            return f"{v.hex()}L", x87_bytes(v) + [None] * 6
        # Integers: a distinct positive value filling every byte we can.
        size = t.size
        v = {1: 0x21 + k % 0x5E,
             2: 0x3000 | (k & 0xFFF),
             4: 0x3C000000 | (k & 0xFFFFFF) << 2 | 1,
             8: 0x5EED000000000001 | (k & 0xFFFFFFFF) << 8}[size]
        suffix = "ULL" if size == 8 else ""
        return f"({t.c}){v:#x}{suffix}", list(v.to_bytes(size, "little"))


def x87_bytes(v):
    """The 10 bytes of an x87 extended-precision number (v > 0)."""
    import math
    mant, exp = math.frexp(v)             # v = mant * 2**exp, 0.5 <= mant < 1
    significand = int(mant * (1 << 64))   # explicit integer bit at bit 63
    return (list(significand.to_bytes(8, "little")) +
            list((exp - 1 + 16383).to_bytes(2, "little")))


# -- the C program ----------------------------------------------------------

def caller(i, fn, values):
    args = [values.of(p.type) for p in fn.params]
    fntype = spell(fn.ret, f"(*)({param_list(fn)})")
    call = f"(({fntype})probe_ptr)({', '.join(a[0] for a in args)})"
    src = (f"__attribute__((noinline)) static void call_{i}(void)\n"
           f"{{\n\t{call};\n}}\n\n")
    return src, [a[1] for a in args]


def program(iface, functions):
    out = ["#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n",
           "#include <stdio.h>\n#include <sys/types.h>\n",
           struct_definitions(iface), probe_source()]
    values, images = Values(), []
    for i, fn in enumerate(functions):
        src, image = caller(i, fn, values)
        out.append(src)
        images.append(image)
    out.append("int main(void)\n{\n")
    out += [f"\tcall_{i}();\n\tdump({i});\n" for i in range(len(functions))]
    out.append("\treturn 0;\n}\n")
    return "".join(out), images


# -- checking ---------------------------------------------------------------

def where(loc, eightbyte):
    """Capture offset of one eightbyte of an argument."""
    if loc.on_stack:
        return STACK_BASE + loc.stack + 8 * eightbyte
    kind, n = loc.regs[eightbyte]
    return 8 * n if kind == "int" else XMM_BASE + 16 * n


def check_function(fn, image_per_arg, capture):
    """Mismatches between pfidl's placement of FN and the capture."""
    layout = lay_out_function(fn)
    problems = []
    for p, loc, image in zip(fn.params, layout.args, image_per_arg):
        for byte, want in enumerate(image):
            if want is None:
                continue
            got = capture[where(loc, byte // 8) + byte % 8]
            if got != want:
                problems.append(f"argument '{p.name}' is not in "
                                f"{loc.describe()} (byte {byte}: expected "
                                f"{want:#04x}, found {got:#04x})")
                break
    return layout.stack_bytes, problems


# -- random signatures ------------------------------------------------------

SCALAR_POOL = ["int", "long", "char", "short", "unsigned", "bool", "float",
               "double", "double", "long double", "void *", "size_t",
               "uint8_t", "int64_t", "float", "struct pair *"]


def random_interface(iface_text, rng, count):
    """IFACE_TEXT plus COUNT seeded random functions using its structs."""
    structs = [line.split()[1] for line in iface_text.splitlines()
               if line.startswith("struct ") and "{" in line]
    pool = SCALAR_POOL + [f"struct {s}" for s in structs]
    lines = [iface_text]
    for i in range(count):
        n = rng.randint(0, 16)
        params = ", ".join(f"{rng.choice(pool)} p{k}" for k in range(n))
        ret = rng.choice(["void", "int", "double", "struct pair",
                          "struct triple", "struct two_dbl"])
        lines.append(f"{ret} random_{i}({params or 'void'});")
    return "\n".join(lines) + "\n"


def run(cc, opt, iface, source, images, tmp, show):
    exe = os.path.join(tmp, f"probe-{os.path.basename(cc)}{opt}")
    src = os.path.join(tmp, "probe.c")
    with open(src, "w") as f:
        f.write(source)
    subprocess.run([cc, opt, "-std=gnu11", "-o", exe, src], check=True)
    lines = subprocess.run([exe], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    failures = 0
    for line in lines:
        index, hexdata = line.split()
        fn = iface.functions[int(index)]
        stack, problems = check_function(fn, images[int(index)],
                                         bytes.fromhex(hexdata))
        if problems:
            failures += 1
            print(f"FAIL {cc} {opt} {fn.name}: pfidl says {stack} stack "
                  "bytes, but:")
            for p in problems:
                print(f"     {p}")
        elif show:
            print(f"ok   {cc} {opt} {fn.name}: {stack} stack bytes")
    if len(lines) != len(iface.functions):
        print(f"FAIL {cc} {opt}: {len(lines)} of {len(iface.functions)} "
              "signatures ran")
        failures += 1
    return failures


def main():
    pfidl_py, abi_path = sys.argv[1:3]
    show = "--show" in sys.argv
    with open(abi_path) as f:
        text = f.read()
    iface = load(random_interface(text, random.Random(6), 150), abi_path)
    source, images = program(iface, iface.functions)
    compilers = [c for c in ("gcc", "clang") if shutil.which(c)]
    if not compilers:
        print("no C compiler found")
        return 77
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for cc in compilers:
            for opt in ("-O0", "-O2"):
                failures += run(cc, opt, iface, source, images, tmp, show)
    runs = len(compilers) * 2
    print(f"{len(iface.functions)} signatures x {runs} compiler runs: "
          f"{failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
