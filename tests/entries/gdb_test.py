#!/usr/bin/env python3
"""A debugger's breakpoints keep working under pfipc, and calls through
every entry kind still work under a debugger.

gdb sees every signal before the program (ptrace). Its own breakpoints are
int3s it recognises, so they stop as breakpoints whatever pfipc does. The
entry signals (SIGSEGV, SIGILL, SIGSYS) are passed to the program with
`handle ... nostop noprint pass`. SIGTRAP cannot be: gdb uses it itself,
and `handle SIGTRAP pass` hands it its own traps too, which kills the
program; so a trap entry stops gdb as a "random" SIGTRAP, and `signal
SIGTRAP` delivers it (the script below does that, as a user would).

Checks: the breakpoint in the export and the one in the caller are hit
once per call; from inside the export, the waiting caller's backtrace goes
through the await trampoline (its CFI) back to main, also for the entries
that are no call (syscall, from a stub and from a raw instruction inside
a function); the program exits 0.

usage: gdb_test.py GDB TARGET
"""
import os
import subprocess
import sys
import tempfile

SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
for s in ("SIGSEGV", "SIGILL", "SIGSYS"):
    gdb.execute("handle %s nostop noprint pass" % s)
state = {"exit": None, "stop": None}
gdb.events.stop.connect(lambda ev: state.__setitem__("stop", ev))
gdb.events.exited.connect(lambda ev: state.__setitem__("exit", getattr(ev, "exit_code", -1)))
export_bp = gdb.Breakpoint("target_export")
between_bp = gdb.Breakpoint("target_between")
traps = 0
gdb.execute("run", to_string=True)
while state["exit"] is None:
    ev, state["stop"] = state["stop"], None
    if isinstance(ev, gdb.BreakpointEvent):
        if ev.breakpoint is export_bp:
            bt = gdb.execute("thread apply 1 bt", to_string=True)
            kind = "await_jump" if "pf_x86_await_jump" in bt else "await"
            raw = " target_raw_call " in bt
            print("CALLER-BT %s%s %s" % (kind, " raw" if raw else "", "main" if " main " in bt else "LOST"))
        gdb.execute("continue", to_string=True)
        continue
    try:
        signo = int(gdb.parse_and_eval("$_siginfo.si_signo"))
    except gdb.error:
        signo = 0
    if signo == 5:
        traps += 1
        gdb.execute("signal SIGTRAP", to_string=True)
    else:
        print("UNEXPECTED-STOP", signo)
        gdb.execute("continue", to_string=True)
print("EXPORT-HITS", export_bp.hit_count)
print("BETWEEN-HITS", between_bp.hit_count)
print("TRAPS", traps)
print("EXIT", state["exit"])
'''


def main():
    gdb, target = sys.argv[1], sys.argv[2]
    with tempfile.NamedTemporaryFile("w", suffix=".py") as f:
        f.write(SCRIPT)
        f.flush()
        # LeakSanitizer cannot run under a debugger (it ptraces the program).
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
        try:
            out = subprocess.run([gdb, "-nx", "-batch", "-x", f.name, target],
                                 capture_output=True, text=True, timeout=240, env=env).stdout
        except subprocess.TimeoutExpired:
            print("gdb timed out")
            return 1
    print(out)
    if "ptrace: Operation not permitted" in out or "Couldn't get registers" in out:
        return 77   # no debugging allowed here: a skip
    lines = dict(l.split(" ", 1) for l in out.splitlines()
                 if l.split(" ", 1)[0] in ("EXPORT-HITS", "BETWEEN-HITS", "TRAPS", "EXIT"))
    bts = [l for l in out.splitlines() if l.startswith("CALLER-BT")]
    ok = True
    calls = int(lines.get("BETWEEN-HITS", "0"))
    if lines.get("EXIT") != "0":
        print("FAIL: the program did not exit 0 under gdb"); ok = False
    if calls < 15 or lines.get("EXPORT-HITS") != str(calls):
        print("FAIL: the breakpoints were not hit once per call"); ok = False
    if lines.get("TRAPS") != "3":
        print("FAIL: the three trap-entry calls did not stop gdb once each"); ok = False
    if not bts or any(b.endswith("LOST") for b in bts):
        print("FAIL: a waiting caller's backtrace did not reach main"); ok = False
    if calls >= 21 and ("CALLER-BT await_jump main" not in bts or
                        "CALLER-BT await_jump raw main" not in bts):
        print("FAIL: no backtrace through pf_x86_await_jump, from a stub and from a raw site")
        ok = False
    if "UNEXPECTED-STOP" in out:
        print("FAIL: gdb stopped for something else"); ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
