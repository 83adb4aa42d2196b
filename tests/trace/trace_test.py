#!/usr/bin/env python3
"""Tracing, end to end: run examples/timeline with PFIPC_TRACE, read the
JSON as Perfetto would, and check what the trace must show.

usage: trace_test.py TIMELINE_EXE UNWIND_EXE FORK_EXIT_EXE PNG_TOOL

One test per behaviour; each prints ok/FAIL with the reason, and the exit
status is 1 if any failed. Times are compared as integer nanoseconds taken
from the decimal text of "ts" and "dur", never as floats.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal

TIMELINE, UNWIND, FORK_EXIT, PNG_TOOL = sys.argv[1:5]
PROCESSES = {"client", "disk", "log", "fs", "parser"}


def run_traced(tmp, name, env_extra=None, argv=None):
    path = os.path.join(tmp, name)
    env = dict(os.environ, PFIPC_TRACE=path, PFIPC_QUIET_CRASHES="1")
    env.pop("PFIPC_STATS", None)
    env.update(env_extra or {})
    argv = argv or [TIMELINE]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} exited {proc.returncode}: {proc.stderr}")
    with open(path) as f:
        doc = json.load(f, parse_float=Decimal)
    return doc, proc.stderr


def ns(value):
    return int(Decimal(value) * 1000)


def events(doc, ph=None):
    return [e for e in doc["traceEvents"] if ph is None or e["ph"] == ph]


def slices(doc):
    out = []
    for e in events(doc, "X"):
        out.append(dict(e, t0=ns(e["ts"]), t1=ns(e["ts"]) + ns(e["dur"])))
    return out


# ---- the checks ------------------------------------------------------------


def process_names_are_the_simulated_processes(doc):
    names = {e["args"]["name"] for e in events(doc, "M") if e["name"] == "process_name"}
    assert names == PROCESSES, f"process names {sorted(names)}"
    pids = [e["pid"] for e in events(doc, "M") if e["name"] == "process_name"]
    assert len(pids) == len(set(pids)), "a pid named twice"
    assert 0 not in pids, "pid 0 is the idle task to Perfetto"


def every_thread_track_is_named(doc):
    named = {(e["pid"], e["tid"]) for e in events(doc, "M") if e["name"] == "thread_name"}
    used = {(e["pid"], e["tid"]) for e in events(doc) if e["ph"] in "Xi" and e.get("s") != "p"}
    assert used <= named, f"unnamed threads {sorted(used - named)}"


def slices_nest_on_every_track(doc):
    tracks = defaultdict(list)
    for s in slices(doc):
        tracks[(s["pid"], s["tid"])].append(s)
    for key, track in tracks.items():
        track.sort(key=lambda s: (s["t0"], -(s["t1"] - s["t0"])))
        open_ = []
        for s in track:
            while open_ and open_[-1]["t1"] <= s["t0"]:
                open_.pop()
            if open_ and s["t1"] > open_[-1]["t1"]:
                raise AssertionError(
                    f"track {key}: {s['name']} [{s['t0']}, {s['t1']}] overlaps "
                    f"{open_[-1]['name']} [{open_[-1]['t0']}, {open_[-1]['t1']}]")
            open_.append(s)


def every_served_call_has_both_slices_and_a_flow(doc):
    outs, ins = defaultdict(list), defaultdict(list)
    for s in slices(doc):
        if s.get("flow_out") and s["cat"] == "call":
            outs[s["bind_id"]].append(s)
        if s.get("flow_in"):
            ins[s["bind_id"]].append(s)
    served = [s for s in slices(doc) if s["cat"] == "serve"]
    assert len(served) >= 20, f"only {len(served)} served calls"
    for s in served:
        assert s.get("flow_in"), f"{s['name']} has no incoming flow"
        src = outs.get(s["bind_id"], [])
        assert len(src) == 1, f"call {s['bind_id']} ({s['name']}): {len(src)} caller slices"
        assert src[0]["t0"] < s["t0"], f"call {s['bind_id']}: served before it was made"
        assert s["args"]["caller"] in PROCESSES
    for bind_id, src in outs.items():
        caller = src[0]
        if bind_id not in ins:
            # Only a call that never ran may lack a server: withdrawn after
            # a timeout, or failed by a crash while queued.
            err = caller["args"].get("error")
            assert err in ("ETIMEDOUT", "EOWNERDEAD"), \
                f"call {bind_id} ({caller['name']}) has no server slice (error {err})"


def nested_calls_and_the_callback_nest_in_the_wait(doc):
    ss = slices(doc)
    waits = [s for s in ss if s["name"] == "call fs.read"]
    assert len(waits) == 2, f"{len(waits)} fs.read waits"
    w = waits[0]
    inner = [s for s in ss if (s["pid"], s["tid"]) == (w["pid"], w["tid"])
             and s["name"] == "client.progress" and w["t0"] < s["t0"] and s["t1"] < w["t1"]]
    assert len(inner) == 2, "the client's callbacks are not inside its wait for fs.read"
    fs_read = [s for s in ss if s["name"] == "fs.read"][0]
    nested = [s for s in ss if (s["pid"], s["tid"]) == (fs_read["pid"], fs_read["tid"])
              and s["name"] == "call disk.read"
              and fs_read["t0"] < s["t0"] and s["t1"] < fs_read["t1"]]
    assert len(nested) == 2, "fs's calls to disk are not inside fs.read"


def async_call_flows_from_submit_to_serve_to_pf_wait(doc):
    ss = slices(doc)
    sub = [s for s in ss if s["name"] == "async disk.read"]
    assert len(sub) == 1, f"{len(sub)} async submits"
    bid = sub[0]["bind_id"]
    serve = [s for s in ss if s.get("bind_id") == bid and s["cat"] == "serve"]
    assert serve and serve[0].get("flow_in") and serve[0].get("flow_out"), "async serve"
    col = [s for s in ss if s["name"] == "pf_wait" and s.get("bind_id") == bid]
    assert col and col[0].get("flow_in"), "pf_wait slice"
    assert sub[0]["args"].get("ticket") == col[0]["args"].get("ticket")


def oneway_calls_are_sent_and_served(doc):
    ss = slices(doc)
    sent = [s for s in ss if s["name"] == "oneway log.write"]
    served = [s for s in ss if s["name"] == "log.write" and s["cat"] == "serve"]
    assert len(sent) == 2 and len(served) == 2, f"{len(sent)} sent, {len(served)} served"


def queueing_is_visible(doc):
    begins = {e["id"]: e for e in events(doc, "b")}
    ends = {e["id"]: e for e in events(doc, "e")}
    assert begins and begins.keys() == ends.keys(), "unmatched queue slices"
    served = {s["bind_id"]: s for s in slices(doc) if s["cat"] == "serve" and "bind_id" in s}
    queued = [s for s in served.values() if "queued_ns" in s["args"]]
    assert len(queued) == len(begins), f"{len(queued)} queued calls, {len(begins)} queue slices"
    for s in queued:
        qid = hex(s["bind_id"])
        qb, qe = ns(begins[qid]["ts"]), ns(ends[qid]["ts"])
        # The queue slice ends where the run begins, and is as long as
        # the call's queued_ns says (to the nanosecond the text keeps).
        assert qe == s["t0"], f"{s['name']}: queue ends at {qe}, run starts at {s['t0']}"
        assert abs((qe - qb) - s["args"]["queued_ns"]) <= 1, (qe - qb, s["args"])
        # Whatever its thread ran while it waited had ended before it ran,
        # or encloses it (it was served while that one waited).
        for t in slices(doc):
            if (t["pid"], t["tid"]) == (s["pid"], s["tid"]) and t is not s and \
                    t["cat"] == "serve" and t["t0"] < qe and t["t1"] > qb:
                assert t["t1"] <= s["t0"] or (t["t0"] < s["t0"] and t["t1"] >= s["t1"]), \
                    f"{s['name']} ran while {t['name']} was running"
    assert any(s["name"] == "disk.read" for s in queued), "no disk read was queued"


def timeout_deadlock_crash_restart_and_death_notices(doc):
    inst = events(doc, "i")
    ss = slices(doc)
    assert any(e["name"] == "timeout" and e["args"]["export"] == "disk.slow" for e in inst), \
        "no timeout instant for disk.slow"
    dl = [s for s in ss if s["name"] == "deadlock"]
    assert len(dl) == 1 and "fs -> client -> fs" in dl[0]["args"]["message"], dl
    crash = [e for e in inst if e["name"] == "crash"]
    assert len(crash) == 1 and crash[0]["args"]["export"] == "parser.parse", crash
    assert "signal 11" in crash[0]["args"]["what"], crash
    crashed_serve = [s for s in ss if s["name"] == "parser.parse" and s["args"].get("error")]
    assert crashed_serve and crashed_serve[0]["args"]["error"] == "EOWNERDEAD", crashed_serve
    pid_of = {e["args"]["name"]: e["pid"] for e in events(doc, "M") if e["name"] == "process_name"}
    restart = [s for s in ss if s["name"] == "restart"]
    assert len(restart) == 1 and restart[0]["pid"] == pid_of["parser"], restart
    assert crash[0]["ts"] < restart[0]["ts"], (crash, restart)
    died = {(e["pid"], e["name"]) for e in inst if e.get("s") == "p"}
    assert (pid_of["parser"], "died: crashed") in died, died
    for p in ("disk", "log", "fs", "parser"):
        assert (pid_of[p], "died: stopped") in died, f"no stop notice for {p}"


def entries_are_labelled(doc):
    entries = {s["args"].get("entry") for s in slices(doc) if s["cat"] in ("call", "serve")}
    assert {"gate", "slot"} <= entries, entries


def nothing_was_dropped(doc):
    assert doc["otherData"]["pfipc_dropped_events"] == 0


def png_has_the_asked_size(doc_path, tmp):
    png = os.path.join(tmp, "timeline.png")
    subprocess.run([sys.executable, PNG_TOOL, doc_path, "-o", png, "--size", "1000x640"],
                   check=True, timeout=120)
    with open(png, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (1000, 640), (width, height)
    assert os.path.getsize(png) > 10000, "an empty picture"


def full_buffers_drop_and_say_so(tmp):
    doc, err = run_traced(tmp, "small.json", {"PFIPC_TRACE_EVENTS": "8"})
    dropped = doc["otherData"]["pfipc_dropped_events"]
    assert dropped > 0, "a buffer of 8 events cannot hold this run"
    per_thread = sum(e["args"]["pfipc_dropped_events"] for e in events(doc, "M")
                     if e["name"] == "thread_name")
    assert per_thread <= dropped
    assert "events dropped" in err, err
    slices_nest_on_every_track(doc)


def a_crash_ends_the_waits_it_unwinds(tmp):
    doc, _ = run_traced(tmp, "unwind.json", argv=[UNWIND, "3"])
    slices_nest_on_every_track(doc)
    ss = slices(doc)
    crashed = [s for s in ss if s["name"] == "crasher.crash"]
    unwound = [s for s in ss if "unwound" in s["args"]]
    assert len(crashed) == 3 and len(unwound) == 3, f"{len(crashed)} crashes, {len(unwound)} unwound"
    for u in unwound:
        outer = [c for c in crashed if (c["pid"], c["tid"]) == (u["pid"], u["tid"])
                 and c["t0"] < u["t0"] and u["t1"] < c["t1"]]
        assert len(outer) == 1, f"unwound {u['name']} is not inside a crashed export"
        assert u["name"] == "call peer.echo"
    crashes = [e for e in events(doc, "i") if e["name"] == "crash"]
    for c in crashes:
        t = ns(c["ts"])
        assert any(s["t0"] <= t <= s["t1"] for s in crashed if s["tid"] == c["tid"])


def a_forked_child_leaves_the_trace_to_its_parent(tmp):
    path = os.path.join(tmp, "fork.json")
    env = dict(os.environ, PFIPC_TRACE=path)
    subprocess.run([FORK_EXIT], env=env, check=True, timeout=60)
    time.sleep(0.5)   # the child exits 0.2 s after its parent
    with open(path) as f:
        doc = json.load(f)
    calls = [e for e in doc["traceEvents"] if e.get("name") == "call fork.echo"]
    assert len(calls) == 2, f"{len(calls)} calls: the child's copy overwrote the trace"


def main():
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        doc, _ = run_traced(tmp, "timeline.json")
        checks = [process_names_are_the_simulated_processes, every_thread_track_is_named,
                  slices_nest_on_every_track, every_served_call_has_both_slices_and_a_flow,
                  nested_calls_and_the_callback_nest_in_the_wait,
                  async_call_flows_from_submit_to_serve_to_pf_wait,
                  oneway_calls_are_sent_and_served, queueing_is_visible,
                  timeout_deadlock_crash_restart_and_death_notices,
                  entries_are_labelled, nothing_was_dropped]
        runs = [(c.__name__, lambda c=c: c(doc)) for c in checks]
        runs.append(("png_has_the_asked_size",
                     lambda: png_has_the_asked_size(os.path.join(tmp, "timeline.json"), tmp)))
        runs.append(("full_buffers_drop_and_say_so", lambda: full_buffers_drop_and_say_so(tmp)))
        runs.append(("a_forked_child_leaves_the_trace_to_its_parent",
                     lambda: a_forked_child_leaves_the_trace_to_its_parent(tmp)))
        runs.append(("a_crash_ends_the_waits_it_unwinds",
                     lambda: a_crash_ends_the_waits_it_unwinds(tmp)))
        for name, fn in runs:
            try:
                fn()
                print(f"ok     {name}")
            except Exception as e:  # one failing check must not hide the others
                failed += 1
                print(f"FAIL   {name}: {type(e).__name__}: {e}")
    print(f"{len(runs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
