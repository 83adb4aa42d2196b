#!/usr/bin/env python3
"""Malformed interface files: each must make pfidl exit non-zero with one
message naming the file, line and column of the mistake and what was
expected there, and write nothing.

usage: errors_test.py PFIDL_PY
"""

import os
import subprocess
import sys
import tempfile

# (what is wrong, interface text, line, column, message)
CASES = [
    ("no interface declaration",
     "struct s { int a; };\n",
     1, 1, "expected 'interface NAME;' at the start of the file, found "
            "'struct'"),
    ("missing ';' after the interface name",
     "interface fs\nint f(void);\n",
     2, 1, "expected ';' after the interface name, found 'int'"),
    ("a character C does not use",
     "interface fs;\nint f(int @x);\n",
     2, 11, "unexpected character '@'"),
    ("an unterminated comment",
     "interface fs;\n\n  /* open\n int f(void);\n",
     3, 3, "unterminated comment: expected '*/'"),
    ("an unknown type after a comment spanning lines",
     "interface fs;\n/* one\n   two */ int f(strng s);\n",
     3, 17, "unknown type 'strng'"),
    ("an unknown type",
     "interface fs;\nint f(strng s);\n",
     2, 7, "unknown type 'strng'"),
    ("a struct named without 'struct'",
     "interface fs;\nstruct st { int a; };\nint f(st s);\n",
     3, 7, "unknown type 'st' (did you mean 'struct st'?)"),
    ("a struct used before it is declared",
     "interface fs;\nint f(struct later s);\nstruct later { int a; };\n",
     2, 14, "unknown struct 'later' (structs must be declared before use)"),
    ("type words C rejects",
     "interface fs;\nunsigned double f(void);\n",
     2, 1, "invalid type 'unsigned double'"),
    ("a void parameter",
     "interface fs;\nint f(int a, void b);\n",
     2, 14, "a parameter cannot have type 'void'"),
    ("'const' on a value",
     "interface fs;\nint f(const int a);\n",
     2, 7, "'const' is only allowed on what a pointer points to"),
    ("a buffer without 'max'",
     "interface fs;\nint f(in char b[n], size_t n);\n",
     2, 19, "expected 'max' and the buffer's largest length in bytes after "
             "']', found ','"),
    ("a buffer with a zero maximum",
     "interface fs;\nint f(in char b[n] max 0, size_t n);\n",
     2, 24, "a buffer's maximum length must be at least 1"),
    ("a buffer whose length is not a parameter",
     "interface fs;\nint f(out char b[len] max 8, size_t n);\n",
     2, 18, "buffer 'b' takes its length from 'len', which is not a "
             "parameter of 'f'"),
    ("a buffer whose length is a narrow integer",
     "interface fs;\nint f(in char b[n] max 8, unsigned short n);\n",
     2, 17, "length 'n' of buffer 'b' must be a 32- or 64-bit integer such "
             "as size_t or unsigned (the upper bits of a narrower argument "
             "are undefined)"),
    ("a buffer whose length is another buffer",
     "interface fs;\n"
     "int f(in char a[b] max 8, inout char b[n] max 8, size_t n);\n",
     2, 17, "buffer 'a' takes its length from buffer 'b'; expected an "
             "integer parameter"),
    ("a buffer of pointers",
     "interface fs;\nint f(in char *b[n] max 8, size_t n);\n",
     2, 10, "a buffer cannot hold pointers: pfipc copies the bytes, not "
             "what they point to"),
    ("an array parameter without a direction",
     "interface fs;\nint f(char b[8]);\n",
     2, 13, "an array parameter needs a direction: 'in', 'out' or 'inout' "
             "TYPE NAME[LENGTH] max N"),
    ("a function declared twice",
     "interface fs;\nint f(void);\n\nlong f(int a);\n",
     4, 6, "function 'f' is already declared at line 2"),
    ("a parameter declared twice",
     "interface fs;\nint f(int a, double a);\n",
     2, 21, "parameter 'a' is already declared in function 'f'"),
    ("a field declared twice",
     "interface fs;\nstruct s {\n\tint a;\n\tlong a;\n};\n",
     4, 7, "field 'a' is already declared in struct 's'"),
    ("an empty struct",
     "interface fs;\nstruct s { };\n",
     2, 12, "struct 's' needs at least one field"),
    ("a zero-length array field",
     "interface fs;\nstruct s { char c[0]; };\n",
     2, 19, "an array length must be at least 1"),
    ("nine buffers",
     "interface fs;\nint f(size_t n, " +
     ", ".join(f"in char b{i}[n] max 4" for i in range(9)) + ");\n",
     2, 193, "function 'f' has more than 8 buffer parameters"),
    ("more stack bytes than pfipc carries",
     "interface fs;\nvoid f(" + ", ".join(f"long a{i}" for i in range(71)) +
     ");\n",
     2, 6, "function 'f' takes 520 bytes of stack arguments; pfipc carries "
            "at most 512"),
    ("a name the generated code uses",
     "interface fs;\nint client_init(void);\n",
     2, 5, "function name 'client_init' is reserved for the generated code"),
    ("a struct containing itself",
     "interface fs;\nstruct node {\n\tstruct node *next;\n\tstruct node n;\n};\n",
     4, 2, "struct 'node' cannot contain itself (a pointer to it is fine)"),
    ("pfipc's own prefix as the interface name",
     "interface pf;\n",
     1, 11, "interface name 'pf' is reserved: pfipc's own names start with "
             "pf_"),
    ("a name outside ASCII",
     "interface fs;\nint caf\u00e9(void);\n",
     2, 8, "unexpected character '\u00e9'"),
    ("a keyword as a name",
     "interface fs;\nint max(int a);\n",
     2, 5, "expected a function name, found keyword 'max'"),
    ("a missing ')'",
     "interface fs;\nint f(int a;\n",
     2, 12, "expected ')' or ',' after a parameter, found ';'"),
    ("a second interface declaration",
     "interface fs;\nint f(void);\ninterface other;\n",
     3, 1, "only one 'interface' declaration is allowed per file"),
    ("an attribute given twice",
     "interface fs;\nreentrant migrate reentrant int f(void);\n",
     2, 19, "attribute 'reentrant' is given twice"),
    ("a direction on a return type",
     "interface fs;\nout int f(void);\n",
     2, 1, "'out' is only allowed before a buffer parameter"),
    ("a struct not closed",
     "interface fs;\nstruct s {\n\tint a;\n",
     4, 1, "expected '}' to close struct 's', found end of file"),
    ("a malformed number",
     "interface fs;\nint f(in char b[n] max 12k, size_t n);\n",
     2, 24, "invalid integer '12k'"),
]


def run_case(pfidl, tmp, case):
    what, text, line, col, message = case
    path = os.path.join(tmp, "bad.pfidl")
    outdir = os.path.join(tmp, "out")
    os.makedirs(outdir, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    r = subprocess.run([sys.executable, pfidl, "-o", outdir, path],
                       capture_output=True, text=True)
    want = f"{path}:{line}:{col}: error: {message}\n"
    problems = []
    if r.returncode == 0:
        problems.append("exit status 0")
    if r.stderr != want:
        problems.append(f"message\n       got:  {r.stderr!r}\n"
                        f"       want: {want!r}")
    if os.listdir(outdir):
        problems.append(f"wrote {os.listdir(outdir)}")
    return problems


def main():
    pfidl = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            problems = run_case(pfidl, tmp, case)
            status = "FAIL" if problems else "ok  "
            print(f"{status} {case[0]}")
            for p in problems:
                print(f"     {p}")
            failures += bool(problems)
        r = subprocess.run([sys.executable, pfidl,
                            os.path.join(tmp, "missing.pfidl")],
                           capture_output=True, text=True)
        if r.returncode == 0 or "cannot read" not in r.stderr:
            print(f"FAIL a missing file: {r.returncode} {r.stderr!r}")
            failures += 1
    print(f"{len(CASES) + 1} malformed inputs: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
