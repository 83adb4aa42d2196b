"""pfipc for gdb: let the calls through, stop on real crashes, and follow a
call back across simulated processes.

Loaded automatically with libpfipc (gdb's auto-load; see the README), or by
hand:  (gdb) source /usr/share/pfipc/gdb/pfipc_gdb.py

What it does:
  - Every call through an import is a SIGSEGV that pfipc handles. gdb is
    told to pass SIGSEGV on without stopping (`handle SIGSEGV nostop
    noprint pass`), and a catchpoint on SIGSEGV stops only when the fault
    is not pfipc's to handle: an address outside pfipc's arena (a NULL
    dereference, say), or an access to the arena that pfipc refuses. So a
    genuine crash stops gdb at the faulting instruction, as without pfipc.
  - `pf bt` prints one backtrace across processes: the frames of the
    export running on this thread, then, for the call it serves, the frames
    of the caller from the point of its call (its thread is parked in
    pf_x86_await), and so on for every nesting level. pfipc's own frames
    are folded into one line saying what they do (`pf bt -all` shows them).
  - `pf ps` lists the processes, their threads and what each does (runs an
    export, waits for a call, is idle), and what is queued.
  - `pf filter on|off` turns the SIGSEGV filtering on (the default once
    loaded) or back to gdb's default (stop at every SIGSEGV).

It reads pfipc's own data structures, so it needs libpfipc's debug
information (the default meson build has it).
"""
import re

import gdb

# Signals pfipc's entries turn into calls. An entry that uses another one
# (a trap, an invalid opcode) adds it here; its faults outside calls reach
# entry_pass_on like SIGSEGV's do.
ENTRY_SIGNALS = ("SIGSEGV",)
SIGNUM = {"SIGSEGV": 11}

# ---------------------------------------------------------------- helpers


def _value(expr):
    """EXPR evaluated in the selected frame, or None when it cannot be."""
    try:
        return gdb.parse_and_eval(expr)
    except gdb.error:
        return None


def _static(file, name, ctype="unsigned long"):
    """A static variable of pfipc's FILE, with or without its debug info."""
    v = _value(f"'{file}'::{name}")
    if v is None:
        v = _value(f"*({ctype} *)&'{file}'::{name}")
    if v is None:
        v = _value(f"*({ctype} *)&{name}")
    return v


def _str(v):
    try:
        return v.string()
    except (gdb.error, gdb.MemoryError, UnicodeDecodeError):
        return "?"


def _ptr(v):
    return int(v.cast(gdb.lookup_type("unsigned long"))) if v is not None else 0


def _is_null(v):
    return v is None or _ptr(v) == 0


def _enum_word(v, prefix):
    """ROLE_SERVER -> "server"."""
    return str(v).replace(prefix, "").lower()


# enum process_state, kept in an _Atomic int.
PROCESS_STATES = ("starting", "running", "stopping", "crashed", "dead")


def _state_word(p):
    n = int(p["state"])
    return PROCESS_STATES[n] if 0 <= n < len(PROCESS_STATES) else str(n)


def _in_pfipc(frame):
    """Is FRAME one of pfipc's own (the library's code)?"""
    name = frame.name() or ""
    if name.startswith("pf_x86_"):
        return True
    try:
        lib = gdb.solib_name(frame.pc()) or ""
    except gdb.error:
        lib = ""
    if "libpfipc" in lib:
        return not name.startswith("pf_") or name in ("pf_wait",)
    # Linked statically: judge by the source file.
    sal = frame.find_sal()
    path = sal.symtab.filename if sal and sal.symtab else ""
    return bool(re.search(r"(^|/)lib/(base|call|dispatch|entry|ident|lifecycle|proc|sched|"
                          r"trace|x86_64)/", path))


def _frame_line(frame, number):
    """gdb's own one-line description of FRAME, numbered NUMBER."""
    frame.select()
    text = gdb.execute("frame", to_string=True).splitlines()[0]
    return re.sub(r"^#\d+\s+", f"#{number:<3}", text)


class _Selection:
    """Put back the thread and frame the user had selected."""

    def __enter__(self):
        self.thread = gdb.selected_thread()
        try:
            self.frame = gdb.selected_frame()
        except gdb.error:
            self.frame = None
        return self

    def __exit__(self, *exc):
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
            if self.frame is not None and self.frame.is_valid():
                self.frame.select()
        return False


# ---------------------------------------------------------------- pfipc's state


def _record(thread):
    """THREAD's struct pf_thread * (switches to THREAD), or None."""
    thread.switch()
    v = _value("pf_current")
    return None if _is_null(v) else v


def _gdb_thread(tid):
    for t in gdb.selected_inferior().threads():
        if t.ptid[1] == tid:
            return t
    return None


def _serving_chain(rec):
    """The serve frames of a thread, innermost first: (address, message)."""
    chain, f = [], rec["serving"]
    while not _is_null(f) and len(chain) < 64:
        chain.append((_ptr(f), f["m"]))
        f = f["outer"]
    return chain


def _message_for_invoke(rec, frame):
    """The message a pf_x86_invoke FRAME runs: its serve frame lies in the
    caller's frame, the nearest one above the invoke frame's stack."""
    sp = _ptr(frame.read_register("rsp"))
    above = [(addr, m) for addr, m in _serving_chain(rec) if addr > sp]
    return min(above)[1] if above else None


def _slot_of(rec, m):
    """Which of a thread's message slots holds M (its call depth then), or
    None. Slots above the depth still hold the call being returned from."""
    slots = rec["calls"]["slot"]
    for i in range(min(int(rec["calls"]["depth"]) + 1, 32)):
        if _ptr(slots[i]) == _ptr(m):
            return i
    return None


def _export_of(m):
    entry = m["entry"]
    if _is_null(entry):
        entry = m["import"]["entry"]
    return _str(entry["name"])


def _proc_name(p):
    return "?" if _is_null(p) else _str(p["name"])


def _via(m):
    return "?" if _is_null(m["via"]) else _str(m["via"])


# ---------------------------------------------------------------- pf bt


def _running_on(m):
    """ ", running on thread N" when a thread has taken M, else ""."""
    server = m["server"]
    running = _value("(int)MSG_RUNNING")
    if _is_null(server) or running is None or int(m["state"]) != int(running):
        return ""
    t = _gdb_thread(int(server["tid"]))
    return f", running on thread {t.num}" if t else ""


class _Walk:
    def __init__(self, show_all):
        self.show_all = show_all
        self.lines = []
        self.number = 0

    def frame(self, f):
        self.lines.append(_frame_line(f, self.number))
        self.number += 1

    def note(self, text):
        self.lines.append(f"    [pfipc: {text}]")


def _frames():
    """The selected thread's frames, newest first."""
    out, f = [], gdb.newest_frame()
    while f is not None and len(out) < 10000:
        out.append(f)
        f = f.older()
    return out


def _walk_thread(walk, thread, from_call=None):
    """Print THREAD's frames, from the top, or (FROM_CALL) from the point
    where it made that call; return (thread, call) to go on with, or None
    when this thread's stack ends the backtrace.

    Each pf_x86_await frame is one of the thread's calls: the oldest is its
    message slot 0, the next slot 1, and so on. A call captured by the
    fault handler but not yet resumed has no await frame: its caller's
    frames are those below the signal frame."""
    rec = _record(thread)
    frames = _frames()
    awaits = [i for i, f in enumerate(frames) if f.name() == "pf_x86_await"]
    start = 0
    if from_call is not None:
        slot = _slot_of(rec, from_call) if rec is not None else None
        if slot is None:
            return None
        if slot < len(awaits):
            start = awaits[len(awaits) - 1 - slot] + 1
        else:
            tramps = [i for i, f in enumerate(frames) if f.type() == gdb.SIGTRAMP_FRAME]
            if not tramps:
                return None
            walk.note("its thread is still returning from the fault that made the call")
            start = tramps[0] + 1
    i = start
    while i < len(frames):
        f = frames[i]
        if rec is None or not _in_pfipc(f):
            walk.frame(f)
            i += 1
            continue
        # A run of pfipc frames: what does it do?
        invoke, last_await = None, None
        while i < len(frames) and _in_pfipc(frames[i]):
            f = frames[i]
            if walk.show_all:
                walk.frame(f)
            if f.name() == "pf_x86_invoke" and invoke is None and last_await is None:
                invoke = _message_for_invoke(rec, f)
            if f.name() == "pf_x86_await":
                last_await = i
            i += 1
        if invoke is not None:
            m = invoke
            caller = m["caller"]
            text = (f"process {_proc_name(m['callee'])} runs \"{_export_of(m)}\" for process "
                    f"{_proc_name(m['from'])}, called through a {_via(m)}")
            if int(m["kind"]) != 0:
                walk.note(text + "; an asynchronous or one-way call: its caller does not wait")
                return None
            if _ptr(caller) == _ptr(rec):
                walk.note(text + ", on the caller's own thread (a migrating export)")
                continue   # the caller's frames follow on this very stack
            caller_thread = None if _is_null(caller) else _gdb_thread(int(caller["tid"]))
            if caller_thread is None or _slot_of(caller, m) is None:
                walk.note(text + "; its caller no longer waits for it (it gave up)")
                return None
            walk.note(text + f" (thread {caller_thread.num}, LWP {caller_thread.ptid[1]})")
            return caller_thread, m
        if last_await is not None:
            slots = rec["calls"]["slot"]
            k = len(awaits) - 1 - awaits.index(last_await)
            m = slots[k]
            walk.note(f"waiting for \"{_export_of(m)}\" in process "
                      f"{_proc_name(m['callee'])}, called through a {_via(m)}"
                      f"{_running_on(m)}")
            continue
        if not walk.show_all:
            walk.note("pfipc's own frames")
    return None


class PfBt(gdb.Command):
    """One backtrace across simulated processes: pf bt [-all]

The frames of the selected thread, then, where it runs an export for a
caller that waits, the caller's frames from the point of its call, and so
on for every nesting level. pfipc's own frames are folded into a line that
says what they do; -all shows them too."""

    def __init__(self):
        super().__init__("pf bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        walk = _Walk(show_all="-all" in arg.split())
        with _Selection():
            thread = gdb.selected_thread()
            if thread is None:
                raise gdb.GdbError("pf bt: no thread")
            call = None
            seen = set()
            while thread is not None:
                key = (thread.num, _ptr(call) if call is not None else 0)
                if key in seen:   # a cycle would be a bug of ours: stop
                    break
                seen.add(key)
                nxt = _walk_thread(walk, thread, call)
                thread, call = nxt if nxt else (None, None)
        gdb.write("\n".join(walk.lines) + "\n")


# ---------------------------------------------------------------- pf ps


def _processes():
    n = _static("process.c", "ncreated", "unsigned")
    table = _value("'process.c'::table")
    if n is None or table is None:
        raise gdb.GdbError("pf ps: pfipc's process table is not readable "
                           "(is libpfipc loaded, with its debug information?)")
    for i in range(min(int(n), 1024)):
        p = table[i]
        if not _is_null(p):
            yield p


def _threads_of(p):
    offset = _ptr(_value("&((struct pf_thread *)0)->wait"))
    thread_ptr = gdb.lookup_type("struct pf_thread").pointer()
    members = p["threads"]["members"]
    for i in range(64):
        w = members[i]
        if not _is_null(w):
            yield gdb.Value(_ptr(w) - offset).cast(thread_ptr)


def _doing(rec):
    parts = []
    chain = _serving_chain(rec)
    for n, (_, m) in enumerate(chain):
        parts.append(("runs" if n == 0 else "inside") +
                     f" \"{_export_of(m)}\" for {_proc_name(m['from'])}")
    w = rec["waiting_on"]
    if not _is_null(w):
        parts.insert(0, f"waits for \"{_export_of(w)}\" in process {_proc_name(w['callee'])}")
    return "; ".join(parts) if parts else "idle"


def _queued(q):
    """The calls in a run queue, oldest first: from `tail` (the next to
    take) along the links, past the stub node (sched/queue.c)."""
    offset = _ptr(_value("&((struct call_msg *)0)->qlink"))
    msg_ptr = gdb.lookup_type("struct call_msg").pointer()
    stub = _ptr(q["stub"].address)
    node, n = q["tail"], 0
    while not _is_null(node) and n < 100:
        if _ptr(node) != stub:
            yield gdb.Value(_ptr(node) - offset).cast(msg_ptr)
        node, n = node["next"], n + 1


def _parked(q):
    m, n = q["parked_head"], 0
    while not _is_null(m) and n < 100:
        yield m
        m, n = m["next"], n + 1


def _queue_lines(p):
    q = p["queue"]
    if _is_null(q):
        return []
    lines = []
    try:
        for what, calls in (("queued", _queued(q)), ("waits its turn", _parked(q))):
            for m in calls:
                lines.append(f"      {what}: \"{_export_of(m)}\" from {_proc_name(m['from'])}")
    except gdb.error as e:
        lines.append(f"      (its queue is laid out in a way this extension does not know: {e})")
    return lines


class PfPs(gdb.Command):
    """The simulated processes, their threads, what each does, and their queues."""

    def __init__(self):
        super().__init__("pf ps", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        out = []
        with _Selection():
            for p in _processes():
                out.append(f"process {_str(p['name'])} (index {int(p['index'])}): "
                           f"{_state_word(p)}, "
                           f"{int(p['crashes'])} crash(es)")
                for rec in _threads_of(p):
                    tid = int(rec["tid"])
                    t = _gdb_thread(tid)
                    where = f"thread {t.num}" if t else "thread ?"
                    out.append(f"  {where} (LWP {tid}, {_enum_word(rec['role'], 'ROLE_')}): "
                               f"{_doing(rec)}")
                out.extend(_queue_lines(p))
        gdb.write("\n".join(out) + "\n" if out else "no pfipc processes\n")


# ---------------------------------------------------------------- faults


_refused = set()   # threads whose next arena fault is pfipc refusing it


def _arena():
    lo = _static("arena.c", "gate_base")
    hi = _static("arena.c", "arena_end")
    if lo is None or hi is None:
        return None
    return int(lo), int(hi)


class GenuineFault(gdb.Function):
    """$_pf_genuine_fault() - 1 if the signal the program just received is
not one pfipc turns into a call (so gdb should stop), else 0."""

    def __init__(self):
        super().__init__("_pf_genuine_fault")

    def invoke(self):
        try:
            info = gdb.parse_and_eval("$_siginfo")
            if int(info["si_signo"]) not in [SIGNUM[s] for s in ENTRY_SIGNALS]:
                return 1
            addr = _ptr(info["_sifields"]["_sigfault"]["si_addr"])
            arena = _arena()
            if arena is None:
                return 1   # no pfipc here (yet): every fault is genuine
            if not arena[0] <= addr < arena[1]:
                return 1
            thread = gdb.selected_thread()
            key = (thread.ptid[0], thread.ptid[1])
            if key in _refused:
                _refused.discard(key)
                return 1
            return 0
        except (gdb.error, gdb.MemoryError):
            return 1   # when in doubt, stop


class _RefusalBreakpoint(gdb.Breakpoint):
    """pfipc refuses an access to its arena (entry_refuse): the program
    dies by re-running the instruction, which faults again; that fault is
    genuine. Inside an export the process crashes instead: stop there."""

    def __init__(self):
        super().__init__("entry_refuse", internal=True)
        self.silent = True

    def stop(self):
        thread = gdb.selected_thread()
        rec = _value("pf_current")
        serving = rec is not None and not _is_null(rec) and not _is_null(rec["serving"])
        if not serving:
            _refused.add((thread.ptid[0], thread.ptid[1]))
            return False
        gdb.write("pfipc: an export touched pfipc's arena in a way that is not a call; "
                  "pfipc will crash its process (see `bt` past <signal handler called>)\n")
        return True


class _Filter:
    def __init__(self):
        self.catchpoint = None
        self.refusal = None

    def on(self):
        for s in ENTRY_SIGNALS:
            gdb.execute(f"handle {s} nostop noprint pass", to_string=True)
        if self.catchpoint is None or not self.catchpoint.is_valid():
            before = {b.number for b in gdb.breakpoints()}
            gdb.execute("catch signal " + " ".join(ENTRY_SIGNALS), to_string=True)
            made = [b for b in gdb.breakpoints() if b.number not in before]
            self.catchpoint = made[0] if made else None
            if self.catchpoint is not None:
                self.catchpoint.condition = "$_pf_genuine_fault()"
        self.watch_refusals()

    def watch_refusals(self):
        """The refusal breakpoint, once libpfipc's code is there."""
        if self.catchpoint is None or (self.refusal is not None and self.refusal.is_valid()):
            return
        try:
            if gdb.lookup_global_symbol("entry_refuse") is None and \
               gdb.lookup_static_symbol("entry_refuse") is None:
                return
        except gdb.error:
            return
        self.refusal = _RefusalBreakpoint()

    def off(self):
        for s in ENTRY_SIGNALS:
            gdb.execute(f"handle {s} stop print pass", to_string=True)
        for b in (self.catchpoint, self.refusal):
            if b is not None and b.is_valid():
                b.delete()
        self.catchpoint = self.refusal = None


_filter = _Filter()


class Pf(gdb.Command):
    """pfipc commands: pf bt, pf ps, pf filter on|off."""

    def __init__(self):
        super().__init__("pf", gdb.COMMAND_USER, prefix=True)


class PfFilter(gdb.Command):
    """pf filter on|off: pass pfipc's call faults silently and stop only on
genuine ones (on, the default once loaded), or stop at every SIGSEGV as gdb
does by default (off)."""

    def __init__(self):
        super().__init__("pf filter", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        if arg.strip() == "on":
            _filter.on()
        elif arg.strip() == "off":
            _filter.off()
        else:
            raise gdb.GdbError("pf filter on|off")


def _load():
    if getattr(gdb, "_pfipc_loaded", False):
        return
    gdb._pfipc_loaded = True
    Pf()
    PfBt()
    PfPs()
    PfFilter()
    GenuineFault()
    gdb.events.new_objfile.connect(lambda event: _filter.watch_refusals())
    _filter.on()


_load()
