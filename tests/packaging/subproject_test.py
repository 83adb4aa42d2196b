#!/usr/bin/env python3
"""pfipc as a meson subproject: a parent project (tests/packaging/consumer)
in a temporary directory, with subprojects/pfipc a symlink to this source
tree and subprojects/pfipc.wrap as the README shows it, uses plain
find_program('pfidl') and dependency('pfipc'), runs pfidl on an interface
and builds and runs two programs.

Also checks that, as a subproject, pfipc builds only the library and pfidl
unless asked: no tests, examples or benchmark, and no cmocka looked up;
and that asking (-Dpfipc:tests=enabled) brings the tests back.

usage: subproject_test.py MESON SOURCE_DIR CONSUMER_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

# As in the README; the URL is never fetched, because the directory
# subprojects/pfipc already exists.
WRAP = """\
[wrap-git]
url = https://example.invalid/pfipc.git
revision = head
directory = pfipc

[provide]
dependency_names = pfipc
program_names = pfidl
"""


class Failed(Exception):
    pass


def run(cmd, cwd=None):
    # No pfipc from the system: the parent must get the subproject.
    env = dict(os.environ, PKG_CONFIG_PATH="")
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env)
    if r.returncode:
        raise Failed(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r.stdout


def targets(meson, build):
    return {t["name"] for t in json.loads(run([meson, "introspect", "--targets",
                                               build]))}


def main():
    meson, source, consumer = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        parent = os.path.join(tmp, "parent")
        shutil.copytree(consumer, parent)
        os.mkdir(os.path.join(parent, "subprojects"))
        os.symlink(os.path.abspath(source),
                   os.path.join(parent, "subprojects", "pfipc"))
        with open(os.path.join(parent, "subprojects", "pfipc.wrap"), "w") as f:
            f.write(WRAP)
        build = os.path.join(tmp, "build")
        try:
            run([meson, "setup", build, parent, "--force-fallback-for=pfipc"])
            names = targets(meson, build)
            for unwanted in ["hello", "pfbench", "abi_test", "man"]:
                if unwanted in names:
                    raise Failed(f"the subproject builds {unwanted!r} unasked")
            for wanted in ["pfipc", "calc", "add", "calc-pfidl"]:
                if wanted not in names:
                    raise Failed(f"no target {wanted!r} in {sorted(names)}")
            log = open(os.path.join(build, "meson-logs", "meson-log.txt")).read()
            if "cmocka" in log:
                raise Failed("configuring the subproject looked for cmocka")
            print("ok   as a subproject: the library and pfidl only; "
                  "no cmocka needed")

            run(["ninja", "-C", build, "calc", "add"])
            said = run([os.path.join(build, "calc")]).strip()
            if said != "calc: 40 + 2 = 42, 4 * 2.5 = 10":
                raise Failed(f"calc said {said!r}")
            print(f"ok   find_program('pfidl') wrote code that runs: {said}")
            said = run([os.path.join(build, "add")]).strip()
            if "40 + 2 = 42" not in said:
                raise Failed(f"add said {said!r}")
            print(f"ok   dependency('pfipc'): {said}")

            asked = os.path.join(tmp, "build-asked")
            run([meson, "setup", asked, parent, "--force-fallback-for=pfipc",
                 "-Dpfipc:tests=enabled"])
            if "abi_test" not in targets(meson, asked):
                raise Failed("-Dpfipc:tests=enabled did not bring the tests")
            print("ok   -Dpfipc:tests=enabled builds the tests")
        except Failed as e:
            print(f"FAIL {e}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
