#!/usr/bin/env python3
"""Draw pfbench runs (`pfbench --json FILE`) as a PNG chart, through gnuplot.

    python3 bench/plot.py quiet.json [loaded.json] [-o pfbench.png] [--keep DIR]

Give a quiet run and, to compare, a run of the same build with `--load N`:
every case then gets two bars side by side, the quiet run's on the left.
Python's standard library reads the JSON and writes a plain data file and a
gnuplot script; gnuplot (Debian: gnuplot-nox) draws. Two panels:

  - time per call of every latency case: the bar is the median (of batch
    means, over rounds); a black line rises from the per-operation p50 of
    the latency pass to its p99, which a triangle marks; log scale (1 ns to
    tens of microseconds share one axis). Cases are grouped (floors,
    references, alternatives, pfipc) left to right;
  - calls per second of the throughput cases (the bare-SIGSEGV two-thread
    figure among them: the ceiling for fault-carried calls).

A panel without cases (a run with --only) is left out.

Skipped cases are left out; a case only one run has gets one bar. --keep
DIR leaves the .dat and .gp files there for tweaking by hand.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

# The table's group order; any other group follows, as in pfbench's table.
GROUP_ORDER = ["floor", "reference", "alternative", "pfipc", "throughput"]
# One colour per run: the first file's, the second's.
RUN_COLOURS = ["#4c72b0", "#dd8452"]


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("pfbench") != 1:
        sys.exit(f"{path}: not a pfbench JSON file")
    return doc


def run_name(doc):
    n = doc["meta"].get("load", 0)
    return f"--load {n}" if n else "quiet"


def gp_quote(s):
    """A gnuplot double-quoted string (escape backslash and quote)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def num(v):
    """A figure for the data file: NaN when absent, which gnuplot skips."""
    return "NaN" if v is None or (isinstance(v, float) and math.isnan(v)) \
        else f"{v:.6g}"


def ordered_cases(docs, throughput):
    """Names of the cases that ran in any of DOCS, of one kind, in group
    order and, within a group, in the first run's order."""
    seen, rows = set(), []
    for doc in docs:
        for c in doc["cases"]:
            if c["skipped"] or c["name"] in seen:
                continue
            if (c.get("calls_per_s") is not None) != throughput:
                continue
            seen.add(c["name"])
            rows.append(c)
    groups = GROUP_ORDER + [g for g in dict.fromkeys(c["group"] for c in rows)
                            if g not in GROUP_ORDER]
    return [c for g in groups for c in rows if c["group"] == g]


def by_name(doc):
    return {c["name"]: c for c in doc["cases"] if not c["skipped"]}


def write_data(path, cases, docs):
    """One row per case: index, name, then median, p50, p99, calls/s for
    each run (NaN where that run lacks the case)."""
    runs = [by_name(d) for d in docs]
    with open(path, "w") as f:
        f.write("# idx name" + "".join(
            f" median{i} p50_{i} p99_{i} cps{i}" for i in range(len(docs)))
            + "\n")
        for i, c in enumerate(cases):
            f.write(f'{i} "{c["name"]}"')
            for run in runs:
                r = run.get(c["name"], {})
                f.write(" " + " ".join(num(r.get(k)) for k in
                                       ("median_ns", "p50_ns", "p99_ns",
                                        "calls_per_s")))
            f.write("\n")


def group_marks(cases, y_label):
    """gnuplot commands: a dashed line between groups and each group's name
    over its cases."""
    out, start = [], 0
    for i in range(1, len(cases) + 1):
        if i < len(cases) and cases[i]["group"] == cases[start]["group"]:
            continue
        if i < len(cases):
            out.append(f"set arrow from {i - 0.5}, graph 0 to {i - 0.5}, "
                       f"graph 1 nohead dt 2 lc rgb \"gray50\"")
        out.append(f"set label {gp_quote(cases[start]['group'])} at "
                   f"{(start + i - 1) / 2}, graph {y_label} center "
                   f"font \"sans,9\"")
        start = i
    return "\n".join(out)


def bar_slots(nruns):
    """(left, right) offsets of each run's bar around the case's x."""
    if nruns == 1:
        return [(-0.4, 0.4)]
    return [(-0.42, -0.02), (0.02, 0.42)]


def script(docs, lat_dat, tp_dat, lat, tp, png):
    meta = docs[0]["meta"]
    runs = " vs ".join(run_name(d) for d in docs)
    title = (f'pfbench {meta["date"]}  {meta["cpu"]}, {meta["cpus"]} CPUs, '
             f'{meta["kernel"]}; {meta["rounds"]} rounds; {runs}')
    slots = bar_slots(len(docs))
    colours = "\n".join(f"set linetype {i + 1} lc rgb {gp_quote(c)}"
                        for i, c in enumerate(RUN_COLOURS))

    def lat_plot():
        parts = []
        for i, (lo, hi) in enumerate(slots):
            m, p50, p99 = 3 + 4 * i, 4 + 4 * i, 5 + 4 * i
            mid = (lo + hi) / 2
            xtic = ":xtic(2)" if i == 0 else ""
            parts.append(
                f"{gp_quote(lat_dat)} using ($1+{mid}):{m}:($1+{lo}):"
                f"($1+{hi}):(0.5):{m}{xtic} with boxxyerror lt {i + 1} "
                f"title {gp_quote(run_name(docs[i]) + ': median')}")
            # The whisker rises from the p50 to the p99, which a triangle
            # marks.
            parts.append(
                f"'' using ($1+{mid}):{p50}:(0):(column({p99}) - "
                f"column({p50})) with vectors nohead lc rgb \"black\" "
                f"notitle")
            parts.append(
                f"'' using ($1+{mid}):{p99} with points pt 9 ps 0.9 "
                f"lc rgb \"black\" "
                + ("title \"p99 per op (line from p50)\"" if i == 0
                   else "notitle"))
        return ", \\\n     ".join(parts)

    def tp_plot():
        parts = []
        for i, (lo, hi) in enumerate(slots):
            cps = 6 + 4 * i
            mid = (lo + hi) / 2
            xtic = ":xtic(2)" if i == 0 else ""
            parts.append(
                f"{gp_quote(tp_dat)} using ($1+{mid}):{cps}:($1+{lo}):"
                f"($1+{hi}):(0):{cps}{xtic} with boxxyerror lt {i + 1} "
                f"title {gp_quote(run_name(docs[i]))}")
            parts.append(
                f"'' using ($1+{mid}):{cps}:(sprintf(\"%.0fk\", "
                f"column({cps}) / 1000)) with labels offset 0,0.7 "
                f"font \"sans,7\" notitle")
        return ", \\\n     ".join(parts)

    head = f"""
set terminal pngcairo noenhanced size 1600,{575 * (bool(lat) + bool(tp))} font "sans,10"
set output {gp_quote(png)}
{colours}
set datafile missing NaN
set multiplot layout {bool(lat) + bool(tp)},1 title {gp_quote(title)} font "sans,12"
set style fill solid 0.85 border -1
set grid ytics mytics
set xtics rotate by -40 left nomirror
set key outside top center horizontal
"""
    lat_panel = f"""
set title "time per call: bar = median; line = per-op p50 to p99, triangle = p99 (lower is better)"
set ylabel "ns per call (log)"
set logscale y
set format y "%.0s%c"
set xrange [-0.7:{len(lat) - 0.3}]
set yrange [0.5:*]
{group_marks(lat, 0.96)}
plot {lat_plot()}
unset arrow
unset label
""" if lat else ""
    tp_panel = f"""
set title "throughput: calls per second, all callers (higher is better)"
set ylabel "calls/s"
unset logscale y
set format y "%.0s%c"
set xrange [-0.7:{len(tp) - 0.3}]
set yrange [0:*]
plot {tp_plot()}
""" if tp else ""
    return head + lat_panel + tp_panel + "unset multiplot\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="+", metavar="JSON",
                    help="a quiet run, then optionally a loaded run")
    ap.add_argument("-o", "--output", default="pfbench.png")
    ap.add_argument("--keep", metavar="DIR",
                    help="write the .dat and .gp files here and keep them")
    args = ap.parse_args()
    if len(args.json) > 2:
        ap.error("at most two runs: a quiet one and a loaded one")

    if not shutil.which("gnuplot"):
        sys.exit("plot.py: gnuplot not found (apt-get install gnuplot-nox)")
    docs = [load(p) for p in args.json]
    lat = ordered_cases(docs, throughput=False)
    tp = ordered_cases(docs, throughput=True)
    if not lat and not tp:
        sys.exit("plot.py: no case ran in these files")

    work = args.keep or tempfile.mkdtemp(prefix="pfbench-plot-")
    os.makedirs(work, exist_ok=True)
    lat_dat = os.path.join(work, "latency.dat")
    tp_dat = os.path.join(work, "throughput.dat")
    gp = os.path.join(work, "pfbench.gp")
    write_data(lat_dat, lat, docs)
    write_data(tp_dat, tp, docs)
    png = os.path.abspath(args.output)
    with open(gp, "w") as f:
        f.write(script(docs, lat_dat, tp_dat, lat, tp, png))
    try:
        subprocess.run(["gnuplot", gp], check=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(png)


if __name__ == "__main__":
    main()
