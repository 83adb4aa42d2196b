#!/usr/bin/env python3
"""Turn `pfbench --json FILE` into a PNG chart, through gnuplot.

    python3 bench/plot.py pfbench.json [-o pfbench.png] [--keep DIR]

Python's standard library reads the JSON and writes a plain data file and a
gnuplot script; gnuplot (Debian: gnuplot-nox) draws. Two panels:

  - per-call time of every latency case, median as a bar and min..max as an
    error bar, log scale (1 ns to tens of microseconds share one axis);
  - calls per second of the throughput cases (the bare-SIGSEGV two-thread
    figure among them: the ceiling for fault-carried calls).

Skipped cases are left out. --keep DIR leaves the .dat and .gp files there
for tweaking by hand.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

# One colour per group, in the order the legend lists them.
GROUPS = [
    ("floor", "#4c72b0"),
    ("alternative", "#dd8452"),
    ("pfipc", "#55a868"),
    ("throughput", "#8172b3"),
]


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("pfbench") != 1:
        sys.exit(f"{path}: not a pfbench JSON file")
    return doc


def gp_quote(s):
    """A gnuplot double-quoted string (escape backslash, quote, and @)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_data(cases, path, value):
    """One row per case: index, name, colour index, value, low, high."""
    colour = {g: i + 1 for i, (g, _) in enumerate(GROUPS)}
    with open(path, "w") as f:
        f.write("# idx name colour value low high\n")
        for i, c in enumerate(cases):
            v, lo, hi = value(c)
            f.write(f'{i} "{c["name"]}" {colour.get(c["group"], 1)} '
                    f"{v:.6g} {lo:.6g} {hi:.6g}\n")


def script(doc, lat_dat, tp_dat, n_lat, n_tp, png):
    meta = doc["meta"]
    title = (f'pfbench {meta["date"]}  {meta["cpu"]}, {meta["cpus"]} CPUs, '
             f'{meta["kernel"]}; {meta["rounds"]} rounds')
    colours = "\n".join(
        f"set linetype {i + 1} lc rgb {gp_quote(c)}"
        for i, (_, c) in enumerate(GROUPS))
    legend = ", ".join(
        f"NaN with boxes fs solid 0.8 lt {i + 1} title {gp_quote(g)}"
        for i, (g, _) in enumerate(GROUPS))
    # Bars are boxxyerror from the panel's floor up to the median, so that a
    # log axis needs no "y = 0"; the error bar spans min..max.
    return f"""
set terminal pngcairo noenhanced size 1400,1100 font "sans,10"
set output {gp_quote(png)}
{colours}
set multiplot layout 2,1 title {gp_quote(title)} font "sans,12"
set style fill solid 0.8 border -1
set grid ytics mytics
set xtics rotate by -40 left nomirror
set key top left

set title "time per call: median, min..max over rounds (lower is better)"
set ylabel "ns per call (log)"
set logscale y
set format y "%.0s%c"
set xrange [-0.7:{n_lat - 0.3}]
set yrange [0.5:*]
plot {gp_quote(lat_dat)} using 1:4:($1-0.4):($1+0.4):(0.5):4:3:xtic(2) \\
       with boxxyerror lc variable notitle, \\
     '' using 1:4:5:6 with yerrorbars lc rgb "black" ps 0 notitle, \\
     '' using 1:(column(6)*1.25):(sprintf("%.0f", column(4))) \\
       with labels rotate by 90 left font "sans,8" notitle, \\
     {legend}

set title "throughput: calls per second, all callers (higher is better)"
set ylabel "calls/s"
unset logscale y
set format y "%.0s%c"
set xrange [-0.7:{n_tp - 0.3}]
set yrange [0:*]
plot {gp_quote(tp_dat)} using 1:4:($1-0.4):($1+0.4):(0):4:3:xtic(2) \\
       with boxxyerror lc variable notitle, \\
     '' using 1:4:5:6 with yerrorbars lc rgb "black" ps 0 notitle, \\
     '' using 1:6:(sprintf("%.0fk", column(4) / 1000)) \\
       with labels offset 0,0.8 font "sans,8" notitle
unset multiplot
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json")
    ap.add_argument("-o", "--output", default="pfbench.png")
    ap.add_argument("--keep", metavar="DIR",
                    help="write the .dat and .gp files here and keep them")
    args = ap.parse_args()

    if not shutil.which("gnuplot"):
        sys.exit("plot.py: gnuplot not found (apt-get install gnuplot-nox)")
    doc = load(args.json)
    ran = [c for c in doc["cases"] if not c["skipped"]]
    lat = [c for c in ran if c.get("calls_per_s") is None]
    tp = [c for c in ran if c.get("calls_per_s") is not None]
    if not lat or not tp:
        sys.exit("plot.py: need both latency and throughput cases")

    work = args.keep or tempfile.mkdtemp(prefix="pfbench-plot-")
    os.makedirs(work, exist_ok=True)
    lat_dat = os.path.join(work, "latency.dat")
    tp_dat = os.path.join(work, "throughput.dat")
    gp = os.path.join(work, "pfbench.gp")
    write_data(lat, lat_dat,
               lambda c: (c["median_ns"], c["min_ns"], c["max_ns"]))
    # The fastest round has the highest throughput: min ns -> max calls/s.
    write_data(tp, tp_dat,
               lambda c: (c["calls_per_s"], 1e9 / c["max_ns"],
                          1e9 / c["min_ns"]))
    png = os.path.abspath(args.output)
    with open(gp, "w") as f:
        f.write(script(doc, lat_dat, tp_dat, len(lat), len(tp), png))
    try:
        subprocess.run(["gnuplot", gp], check=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(png)


if __name__ == "__main__":
    main()
