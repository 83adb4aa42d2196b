#!/usr/bin/env python3
"""tools/mkman.py: a new doc block in the header's format becomes a page
with no change to the generator, and a malformed block stops it with an
error that names the function.

usage: mkman_test.py MKMAN_PY HEADER
"""
import os
import subprocess
import sys
import tempfile

TEMPLATE = """\
/*
 * demo.h - a header in pfipc.h's format.
 */
#ifndef DEMO_H
#define DEMO_H

/* Flags for pf_frob. */
#define PF_FROB_HARD (1u << 0) /* frob hard */

/* ------------------------------------------------------------------------ */
/* Frobbing                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * pf_frob - frob a thing.
 *
 * SYNOPSIS  int pf_frob(const char *thing, unsigned flags);
 * DESCRIPTION
 *   Frobs THING. FLAGS is 0 or PF_FROB_HARD.
 * RETURN VALUE  0, or a negative errno value.
 * ERRORS  -EINVAL THING is NULL; -ENOENT no such thing.
 */
int pf_frob(const char *thing, unsigned flags);

@NEW@
#endif
"""

NEW_BLOCK = """\
/*
 * pf_unfrob - undo pf_frob.
 *
 * SYNOPSIS
 *   long pf_unfrob(const char *thing,
 *                  int how);
 * DESCRIPTION
 *   Unfrobs THING in the way HOW says.
 * RETURN VALUE  The frobs left, or a negative errno value.
 * ERRORS
 *   -EINVAL  THING is NULL.
 *   -EAGAIN  try again.
 * NOTES  Unfrobbing twice is harmless.
 * SEE ALSO  frob(1)
 */
long pf_unfrob(const char *thing, int how);
"""


def run(mkman, header_text, outdir):
    with tempfile.TemporaryDirectory() as tmp:
        header = os.path.join(tmp, "demo.h")
        with open(header, "w") as f:
            f.write(header_text)
        return subprocess.run([sys.executable, mkman, header, "--outdir",
                               outdir, "--version", "9.9.9"],
                              capture_output=True, text=True)


def main():
    mkman, real_header = sys.argv[1], sys.argv[2]
    failures = []

    def expect_ok(what, text, pages):
        with tempfile.TemporaryDirectory() as out:
            r = run(mkman, text, out)
            got = sorted(os.listdir(out)) if r.returncode == 0 else []
            if r.returncode or got != sorted(pages):
                failures.append(f"{what}: exit {r.returncode}, pages {got}, "
                                f"want {sorted(pages)}\n{r.stderr}")
            return {p: open(os.path.join(out, p)).read() for p in got}

    def expect_error(what, text, name, words=""):
        with tempfile.TemporaryDirectory() as out:
            r = run(mkman, text, out)
            if r.returncode == 0:
                failures.append(f"{what}: accepted")
            elif name not in r.stderr or words not in r.stderr:
                failures.append(f"{what}: the error does not name {name} "
                                f"({words!r}):\n{r.stderr}")
            else:
                print(f"ok   {what}: {r.stderr.strip().splitlines()[0]}")

    good = TEMPLATE.replace("@NEW@", "")
    expect_ok("one block", good, ["pf_frob.3", "pfipc.7"])
    pages = expect_ok("a new block, untouched generator",
                      TEMPLATE.replace("@NEW@", NEW_BLOCK),
                      ["pf_frob.3", "pf_unfrob.3", "pfipc.7"])
    page = pages.get("pf_unfrob.3", "")
    for want in ['.BI "long pf_unfrob(const char *" thing ","',
                 ".SH NOTES", ".BR frob (1),", ".BR pf_frob (3),",
                 ".B \\-EAGAIN", "\\fI\\%thing\\fP"]:
        if want not in page:
            failures.append(f"pf_unfrob.3 lacks {want!r}:\n{page}")
    if "PF_FROB_HARD" not in pages.get("pf_frob.3", ""):
        failures.append("pf_frob.3 does not show the PF_FROB_HARD it names")
    if ".SS Frobbing" not in pages.get("pfipc.7", ""):
        failures.append("pfipc.7 does not group by the header's banners")

    new = TEMPLATE.replace("@NEW@", NEW_BLOCK)
    expect_error("no SYNOPSIS",
                 new.replace(" * SYNOPSIS\n *   long pf_unfrob(const char *thing,\n"
                             " *                  int how);\n", ""),
                 "pf_unfrob", "SYNOPSIS")
    expect_error("SYNOPSIS differs from the declaration",
                 new.replace(" *                  int how);",
                             " *                  long how);"),
                 "pf_unfrob", "SYNOPSIS")
    expect_error("declaration without a block",
                 good.replace("#endif", "int pf_lonely(void);\n#endif"),
                 "pf_lonely", "without a doc block")
    expect_error("unknown heading",
                 new.replace(" * NOTES  Unfrobbing", " * CAVEATS  Unfrobbing"),
                 "pf_unfrob", "CAVEATS")
    expect_error("empty ERRORS",
                 new.replace(" *   -EINVAL  THING is NULL.\n *   -EAGAIN  try again.\n", ""),
                 "pf_unfrob", "ERRORS")
    expect_error("block above another function's declaration",
                 new.replace("long pf_unfrob(const char *thing, int how);",
                             "long pf_refrob(const char *thing, int how);"),
                 "pf_unfrob", "not followed")
    expect_error("bad SEE ALSO entry",
                 new.replace(" * SEE ALSO  frob(1)", " * SEE ALSO  the frob page"),
                 "pf_unfrob", "SEE ALSO")

    # The real header, with one declaration changed under its block.
    text = open(real_header, encoding="utf-8").read()
    changed = text.replace("\nint pf_process_stop(pf_process *p);",
                           "\nint pf_process_stop(pf_process *p, int how);")
    if changed == text:
        failures.append("could not find pf_process_stop in the header")
    else:
        expect_error("real header, a declaration changed", changed,
                     "pf_process_stop", "SYNOPSIS")

    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
