#!/usr/bin/env python3
"""Every man page renders without a single warning: groff with all warnings
on (groff -man -ww -z), and man-db as a reader would run it
(MANWIDTH=80 man --warnings -l PAGE). Any output on stderr fails.

usage: render_test.py MANDIR     (exit 77 when neither groff nor man exists)
"""
import os
import shutil
import subprocess
import sys


def main():
    mandir = sys.argv[1]
    pages = sorted(f for f in os.listdir(mandir) if f.endswith((".3", ".7")))
    runs = []
    if shutil.which("groff"):
        runs.append(("groff -man -ww -z", lambda p: ["groff", "-man", "-ww", "-z", p]))
    if shutil.which("man"):
        runs.append(("man --warnings -l", lambda p: ["man", "--warnings", "-l", p]))
    if not runs:
        print("neither groff nor man is installed")
        return 77
    env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat",
               LC_ALL="C.UTF-8")
    failures = 0
    for page in pages:
        path = os.path.join(mandir, page)
        for what, cmd in runs:
            r = subprocess.run(cmd(path), capture_output=True, text=True,
                               env=env)
            if r.returncode or r.stderr.strip():
                failures += 1
                print(f"{page}: {what} (exit {r.returncode}):\n{r.stderr}")
    print(f"{len(pages)} pages rendered with: {', '.join(w for w, _ in runs)}")
    if not pages:
        print("no pages found")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
