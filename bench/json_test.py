#!/usr/bin/env python3
"""pfbench's output carries what issue 10's benchmark asks for: a quiet run
and a `--load 1` run of a few cases each say their load, give p50, p99 and
p99.9 per case, hold every case to its least number of timed operations,
show the targets with the load each is stated for, and plot.py draws the two
runs side by side.

usage: json_test.py PFBENCH PLOT_PY
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

CASES = "call_direct,sigsegv,spin_pp,getpid,clock_gettime,pf_gate,pf_mig"
MIN_OPS = 600

pfbench, plot_py = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(load, path):
    out = subprocess.run(
        [pfbench, "--quick", "--only", CASES, "--latency-ops", str(MIN_OPS),
         "--load", str(load), "--json", path],
        capture_output=True, text=True, timeout=120, check=True).stdout
    with open(path) as f:
        return out, json.load(f)


def check_run(load, out, doc):
    tag = f"--load {load}:"
    meta = doc["meta"]
    check(meta.get("load") == load, f"{tag} meta.load is {meta.get('load')}")
    want = (f"load: {load} CPU-bound thread" if load else "load: none (quiet)")
    check(want in out, f"{tag} the table's header lacks '{want}'")
    lat = meta.get("latency", {})
    check(lat.get("min_ops") == MIN_OPS, f"{tag} meta.latency.min_ops")
    check(isinstance(lat.get("tick_ns"), (int, float)) and lat["tick_ns"] > 0,
          f"{tag} no tick cost in meta.latency")
    check(isinstance(lat.get("ns_per_cycle"), (int, float))
          and lat["ns_per_cycle"] > 0, f"{tag} no TSC rate")
    names = [c["name"] for c in doc["cases"]]
    check(sorted(names) == sorted(CASES.split(",")),
          f"{tag} cases {names}")
    groups = {c["name"]: c["group"] for c in doc["cases"]}
    check(groups.get("clock_gettime") == "reference"
          and groups.get("getpid") == "reference",
          f"{tag} getpid and clock_gettime are not references")
    for c in doc["cases"]:
        if c["skipped"]:
            continue
        name = f"{tag} {c['name']}"
        p50, p99, p999 = c.get("p50_ns"), c.get("p99_ns"), c.get("p999_ns")
        # One sample fewer than operations: the first tick starts the clock.
        check(c.get("latency_ops", 0) >= MIN_OPS - 1,
              f"{name}: {c.get('latency_ops')} ops timed, fewer than "
              f"{MIN_OPS - 1}")
        check(isinstance(p50, (int, float)) and p50 > 0, f"{name}: no p50")
        check(isinstance(p99, (int, float)) and p99 >= p50,
              f"{name}: p99 {p99} below p50 {p50}")
        # p99.9 needs 5 samples beyond it: null below 5000 ops, else >= p99.
        if c["latency_ops"] < 5000:
            check(p999 is None, f"{name}: p99.9 from {c['latency_ops']} ops")
        else:
            check(p999 is not None and p999 >= p99,
                  f"{name}: p99.9 {p999} below p99 {p99}")
    targets = [t for t in doc["targets"] if t.get("issue") == "10"]
    check(any("p99 <= 3 x p50" in t["what"] for t in targets),
          f"{tag} no p99 target")
    for t in targets:
        stated = t.get("load")
        check(t["applies"] == (stated is None or stated == load),
              f"{tag} target '{t['what']}' applies={t['applies']}")
        if not t["applies"]:
            check(t["verdict"] == "n/a", f"{tag} '{t['what']}' has a verdict")


work = tempfile.mkdtemp(prefix="pfbench-json-test-")
try:
    quiet = os.path.join(work, "quiet.json")
    loaded = os.path.join(work, "loaded.json")
    check_run(0, *run(0, quiet))
    check_run(1, *run(1, loaded))
    if shutil.which("gnuplot"):
        png = os.path.join(work, "chart.png")
        subprocess.run([sys.executable, plot_py, quiet, loaded, "-o", png],
                       check=True, capture_output=True, timeout=60)
        with open(png, "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", "plot.py drew no PNG")
    else:
        print("gnuplot not installed: the chart was not drawn")
finally:
    shutil.rmtree(work, ignore_errors=True)

for f in failures:
    print("FAIL", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
