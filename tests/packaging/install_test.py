#!/usr/bin/env python3
"""pfipc as a user gets it from `meson install`: installed into a temporary
directory (meson install --destdir), then used from outside the source
tree, with pkg-config pointed there.

Checks that the install holds the library (shared and static), both
headers, the pkg-config file, the pfidl command and the man pages; that the
pkg-config file names its private dependencies; that a program built with
`pkg-config --cflags --libs pfipc` runs against the installed library; that
one built with `pkg-config --static --libs pfipc` runs with libpfipc linked
in (the C library stays dynamic); and that the installed pfidl writes code
that builds and runs.

With --fully-static it instead links a program with -static (the C library
too) and runs it: exit 0 when it works, 1 when it is killed by a signal,
99 when it cannot even be built, 77 (skipped) in a build with sanitizers,
whose runtimes cannot be linked -static.

In a build with sanitizers (PFIPC_TEST_SANITIZE, the build's b_sanitize),
the programs are built with the same -fsanitize: a program that links a
sanitized libpfipc needs the sanitizer's runtime first, as a user's would.

usage: install_test.py MESON BUILD_DIR CONSUMER_DIR [--fully-static]
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile


class Failed(Exception):
    pass


def run(cmd, env=None, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if r.returncode:
        raise Failed(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r.stdout


class Install:
    """An installed copy of the build in a temporary DESTDIR."""

    def __init__(self, meson, build, destdir):
        run([meson, "install", "-C", build, "--no-rebuild", "--quiet",
             "--destdir", destdir])
        pcs = glob.glob(os.path.join(destdir, "**", "pkgconfig", "pfipc.pc"),
                        recursive=True)
        if len(pcs) != 1:
            raise Failed(f"pfipc.pc installed {len(pcs)} times: {pcs}")
        self.pc = pcs[0]
        prefix = re.search(r"^prefix=(.*)$", open(self.pc).read(), re.M)
        self.prefix = destdir + prefix.group(1)
        self.libdir = os.path.dirname(os.path.dirname(self.pc))
        self.env = dict(os.environ,
                        PKG_CONFIG_PATH=os.path.dirname(self.pc),
                        LD_LIBRARY_PATH=self.libdir)

    def pkg_config(self, *args):
        # The file says prefix=/usr/local (where it will live); point it at
        # the copy in DESTDIR instead.
        out = run(["pkg-config", f"--define-variable=prefix={self.prefix}",
                   *args, "pfipc"], env=self.env)
        return out.split()


def sanitizers():
    return os.environ.get("PFIPC_TEST_SANITIZE", "none")


def cc():
    """The compiler, with the build's sanitizers if it has any."""
    s = sanitizers()
    return [os.environ.get("CC", "cc")] + ([] if s in ("", "none") else [f"-fsanitize={s}"])


def check_files(inst, build):
    p = inst.prefix
    want = [os.path.join(p, "include", "pfipc.h"),
            os.path.join(p, "include", "pfipc_version.h"),
            os.path.join(inst.libdir, "libpfipc.a"),
            os.path.join(inst.libdir, "libpfipc.so")]
    man = os.path.join(build, "man")     # absent when built with -Dman=disabled
    if os.path.isdir(man):
        want.append(os.path.join(p, "share", "man", "man7", "pfipc.7"))
    for path in want:
        if not os.path.exists(path):
            raise Failed(f"not installed: {path}")
    pfidl = os.path.join(p, "bin", "pfidl")
    if not os.access(pfidl, os.X_OK):
        raise Failed(f"{pfidl} is not an installed command")
    pages = "no man pages (not built)"
    if os.path.isdir(man):
        built = {f for f in os.listdir(man) if f.endswith(".3")}
        man3 = os.path.join(p, "share", "man", "man3")
        installed = set(os.listdir(man3)) if os.path.isdir(man3) else set()
        if not built or built != installed:
            raise Failed(f"man3 pages built but not installed: "
                         f"{sorted(built - installed)}")
        pages = f"{len(installed)} man3 pages and pfipc.7"
    print(f"ok   installed: library, headers, pkg-config file, pfidl, {pages}")


def check_pkg_config(inst):
    requires = inst.pkg_config("--print-requires-private")
    if "capstone" not in requires:
        raise Failed(f"Requires.private lacks capstone: {requires}")
    static = inst.pkg_config("--static", "--libs")
    for flag in ["-lpfipc", "-lsigsegv", "-lcapstone", "-pthread"]:
        if flag not in static:
            raise Failed(f"pkg-config --static --libs lacks {flag}: {static}")
    shared = inst.pkg_config("--libs")
    if "-lsigsegv" in shared or "-lcapstone" in shared:
        raise Failed(f"private dependencies leak into --libs: {shared}")
    print(f"ok   pkg-config --static --libs pfipc: {' '.join(static)}")
    return inst.pkg_config("--modversion")[0]


def build_and_run(inst, tmp, consumer, name, link, env=None):
    exe = os.path.join(tmp, name)
    run([*cc(), os.path.join(consumer, "add.c"), *inst.pkg_config("--cflags"),
         *link, "-o", exe])
    out = run([exe], env=env or inst.env).strip()
    return exe, out


def check_add_output(out, version, want_from):
    m = re.fullmatch(r"pfipc (\S+) \(headers (\S+)\): 40 \+ 2 = 42, from (.+)",
                     out)
    if not m:
        raise Failed(f"unexpected output: {out!r}")
    if m.group(1) != version or m.group(2) != version:
        raise Failed(f"versions differ: library {m.group(1)}, headers "
                     f"{m.group(2)}, pkg-config {version}")
    if not want_from(m.group(3)):
        raise Failed(f"pf_version came from {m.group(3)}")


def check_programs(inst, tmp, consumer, version):
    exe, out = build_and_run(inst, tmp, consumer, "add-shared",
                             inst.pkg_config("--libs"))
    check_add_output(out, version, lambda f: os.path.realpath(f).startswith(
        os.path.realpath(inst.libdir)))
    print(f"ok   shared: {out}")

    # libpfipc.a and its dependencies' archives; the C library dynamic.
    static = ["-Wl,-Bstatic", *inst.pkg_config("--static", "--libs"),
              "-Wl,-Bdynamic"]
    env = dict(inst.env)
    env.pop("LD_LIBRARY_PATH")
    exe, out = build_and_run(inst, tmp, consumer, "add-static", static, env)
    check_add_output(out, version, lambda f: os.path.basename(f) == "add-static")
    needed = run(["readelf", "-d", exe]) if shutil.which("readelf") else ""
    if "libpfipc" in needed:
        raise Failed("the static program still needs libpfipc.so")
    print(f"ok   static libpfipc, dynamic libc: {out}")


def check_pfidl(inst, tmp, consumer):
    out = os.path.join(tmp, "calc")
    os.mkdir(out)
    pfidl = os.path.join(inst.prefix, "bin", "pfidl")
    shutil.copy(os.path.join(consumer, "calc.pfidl"), out)
    run([pfidl, "calc.pfidl", "-o", "."], cwd=out)
    exe = os.path.join(out, "calc")
    run([*cc(), "-I", out, os.path.join(consumer, "calc.c"),
         os.path.join(out, "calc_exports.c"), *inst.pkg_config("--cflags"),
         *inst.pkg_config("--libs"), "-o", exe])
    said = run([exe], env=inst.env).strip()
    if said != "calc: 40 + 2 = 42, 4 * 2.5 = 10":
        raise Failed(f"calc said {said!r}")
    if glob.glob(os.path.join(inst.prefix, "share", "pfipc", "**", "__pycache__"),
                 recursive=True):
        raise Failed("running pfidl wrote __pycache__ into the install")
    print(f"ok   installed pfidl: {said}")


def fully_static(inst, tmp, consumer):
    exe = os.path.join(tmp, "add-fully-static")
    r = subprocess.run([*cc(), "-static", os.path.join(consumer, "add.c"),
                        *inst.pkg_config("--cflags"),
                        *inst.pkg_config("--static", "--libs"), "-o", exe],
                       capture_output=True, text=True)
    if r.returncode:
        print(f"cannot link a fully static program:\n{r.stderr}")
        return 99
    r = subprocess.run([exe], capture_output=True, text=True)
    if r.returncode < 0:
        print(f"the fully static program was killed by signal {-r.returncode}")
        return 1
    print(r.stdout + r.stderr)
    return r.returncode


def main():
    args = [a for a in sys.argv[1:] if a != "--fully-static"]
    meson, build, consumer = args
    if not shutil.which("pkg-config"):
        print("pkg-config is not installed")
        return 77
    if "--fully-static" in sys.argv and sanitizers() not in ("", "none"):
        print(f"skipped: a sanitizer runtime ({sanitizers()}) cannot be linked -static")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        try:
            inst = Install(meson, build, os.path.join(tmp, "destdir"))
            if "--fully-static" in sys.argv:
                return fully_static(inst, tmp, consumer)
            check_files(inst, build)
            version = check_pkg_config(inst)
            check_programs(inst, tmp, consumer, version)
            check_pfidl(inst, tmp, consumer)
        except Failed as e:
            print(f"FAIL {e}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
