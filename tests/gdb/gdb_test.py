#!/usr/bin/env python3
"""The gdb extension, in gdb's batch mode, loaded the way users get it:
auto-loaded from beside the library (the build tree's stub).

usage: gdb_test.py LIBDIR HELLO TIMELINE CRASHES BUSY

Skips (77) when gdb is not installed or may not trace processes here.
"""
import os
import re
import shutil
import subprocess
import sys

LIBDIR, HELLO, TIMELINE, CRASHES, BUSY = sys.argv[1:6]
GDB = shutil.which("gdb")


def gdb(argv, commands, extension=True):
    cmd = [GDB, "-batch", "-nx", "-iex", "set debuginfod enabled off",
           "-iex", "set pagination off"]
    if extension:
        cmd += ["-iex", f"set auto-load safe-path {LIBDIR}"]
    else:
        cmd += ["-iex", "set auto-load python-scripts off"]
    for c in commands:
        cmd += ["-ex", c]
    env = dict(os.environ, PFIPC_QUIET_CRASHES="1")
    env.pop("PFIPC_TRACE", None)
    proc = subprocess.run(cmd + ["--args"] + argv, capture_output=True, text=True,
                          timeout=120, env=env)
    return proc.stdout + proc.stderr


def stops(out):
    return re.findall(r"^Thread \d+ .* (?:hit|received) (.*)$", out, re.M) + \
        re.findall(r"^Program received signal (\S+)", out, re.M)


def bt_lines(out):
    return [l for l in out.splitlines() if re.match(r"#\d+\s", l) or l.startswith("    [pfipc:")]


# ---- the checks ------------------------------------------------------------


def pf_bt_in_a_server_export_reaches_the_clients_main():
    out = gdb([HELLO], ["break math_add", "run", "pf bt", "kill"])
    # console.print through a gate came first: it must not have stopped gdb.
    assert len(stops(out)) == 1 and "Breakpoint 1, math_add (" in stops(out)[0], \
        f"the calls before the breakpoint stopped gdb: {stops(out)}"
    lines = bt_lines(out)
    assert lines and "math_add (" in lines[0], lines
    assert any('runs "math.add" for process client, called through a slot' in l for l in lines), lines
    assert re.search(r"#1\s+(0x[0-9a-f]+ in )?main \(\) at .*hello\.c:\d+", lines[-1]), lines


def pf_ps_lists_processes_threads_and_waits():
    out = gdb([HELLO], ["break math_add", "run", "pf ps", "kill"])
    for text in ("process client (index 0): running", "process console (index 1): running",
                 "process math (index 2): running", 'waits for "math.add" in process math',
                 'runs "math.add" for client', "server): idle"):
        assert text in out, f"{text!r} not in:\n{out}"


def pf_ps_shows_what_is_queued():
    out = gdb([BUSY], ["break stop_here", "run", "pf ps", "kill"])
    assert 'runs "busy.hold" for client' in out, out
    assert 'queued: "busy.hold" from client' in out, out


def pf_bt_follows_every_nesting_level():
    # main -> fs.read -> client.progress, served by main while it waits.
    out = gdb([TIMELINE], ["break client_progress", "run", "pf bt", "kill"])
    names = [re.sub(r".*?(\w+) \(.*", r"\1", l) for l in bt_lines(out) if l.startswith("#")]
    assert names == ["client_progress", "fs_read", "main"], bt_lines(out)
    notes = [l for l in bt_lines(out) if l.startswith("    [pfipc:")]
    assert 'runs "client.progress" for process fs' in notes[0], notes
    assert 'runs "fs.read" for process client' in notes[1], notes


def a_null_dereference_still_stops_with_sigsegv():
    out = gdb([CRASHES, "null"], ["run", "bt 2"])
    assert "crashes: 6 calls made, sum 6" in out, out
    assert stops(out) == [s for s in stops(out) if "signal SIGSEGV" in s] and len(stops(out)) == 1, \
        f"stops: {stops(out)}"
    assert re.search(r"#0 .* in null_dereference \(\) at .*crashes\.c", out), out


def a_refused_access_to_the_arena_stops_with_sigsegv():
    out = gdb([CRASHES, "store"], ["run", "bt 2"])
    assert "crashes: 6 calls made, sum 6" in out, out
    assert "pfipc: process \"client\": accessed the slot of import \"math.add\"" in out, out
    assert len(stops(out)) == 1 and "signal SIGSEGV" in stops(out)[0], f"stops: {stops(out)}"
    assert re.search(r"#0 .* in store_into_slot \(", out), out


def without_the_extension_gdb_stops_at_every_call():
    # The control: what the extension saves users from.
    out = gdb([CRASHES, "null"], ["run", "bt 1"], extension=False)
    assert "6 calls made" not in out, out
    assert len(stops(out)) == 1 and "signal SIGSEGV" in stops(out)[0], stops(out)
    assert not re.search(r"#0 .* in null_dereference", out), out


def main():
    if not GDB:
        print("gdb is not installed")
        return 77
    probe = gdb([HELLO], ["run"], extension=False)
    if "ptrace: Operation not permitted" in probe or "Could not trace" in probe:
        print("gdb may not trace processes here")
        return 77
    checks = [pf_bt_in_a_server_export_reaches_the_clients_main,
              pf_ps_lists_processes_threads_and_waits, pf_ps_shows_what_is_queued,
              pf_bt_follows_every_nesting_level,
              a_null_dereference_still_stops_with_sigsegv,
              a_refused_access_to_the_arena_stops_with_sigsegv,
              without_the_extension_gdb_stops_at_every_call]
    failed = 0
    for c in checks:
        try:
            c()
            print(f"ok     {c.__name__}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL   {c.__name__}: {e}")
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
