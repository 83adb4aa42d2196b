#!/usr/bin/env python3
"""Draw a pfipc trace (PFIPC_TRACE=FILE, pf_trace_start) as a PNG timeline.

    python3 tools/pftrace_png.py trace.json [-o trace.png] [--size 1600x900]
                                 [--title TEXT] [--keep DIR]

One lane per thread, grouped by simulated process. A call is a bar on the
caller's lane while it waits ("call ns.fn", drawn in the colour of the
process it calls) and a bar on the lane of the thread that runs it (in
that process's colour); an arrow joins the two. Calls nested inside
others are drawn one band lower. A thick yellow line leading into a
server's bar is the time that call waited in the queue. Crashes, timeouts and deadlocks are
marked; a restart is a bar of its own; a death notice is a tick at the top
of its process's first lane.

Python's standard library reads the JSON and writes data files and a
gnuplot script; gnuplot (Debian: gnuplot-nox) draws.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal

PALETTE = ["#4c72b0", "#55a868", "#c44e52", "#8172b3", "#ccb974",
           "#64b5cd", "#dd8452", "#937860", "#da8bc3", "#8c8c8c"]
MARKS = {  # instant or event name -> (gnuplot point type, colour, legend)
    "crash": (9, "#d62728", "crash"),
    "timeout": (7, "#ff7f0e", "timeout"),
    "deadlock": (5, "#000000", "deadlock refused"),
}
BAND = 0.26  # height of one nesting level, in lanes


def gp_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lighter(colour, amount=0.55):
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    mix = lambda c: int(c + (255 - c) * amount)
    return (mix(r) << 16) | (mix(g) << 8) | mix(b)


def rgb(colour):
    return int(colour[1:], 16)


def ns(value):
    return int(Decimal(str(value)) * 1000)


def load(path):
    with open(path) as f:
        doc = json.load(f, parse_float=Decimal)
    evs = doc["traceEvents"] if isinstance(doc, dict) else doc
    return doc, evs


class Timeline:
    def __init__(self, evs):
        self.proc_name = {}
        self.thread_name = {}
        for e in evs:
            if e.get("ph") != "M":
                continue
            if e["name"] == "process_name":
                self.proc_name[e["pid"]] = e["args"]["name"]
            elif e["name"] == "thread_name":
                self.thread_name[(e["pid"], e["tid"])] = e["args"]["name"]
        self.slices = [dict(e, t0=ns(e["ts"]), t1=ns(e["ts"]) + ns(e["dur"]))
                       for e in evs if e.get("ph") == "X"]
        self.instants = [dict(e, t0=ns(e["ts"])) for e in evs if e.get("ph") == "i"]
        self.queues = {}
        for e in evs:
            if e.get("ph") in ("b", "e"):
                q = self.queues.setdefault(e["id"], {})
                q[e["ph"]] = e
        times = [s["t0"] for s in self.slices] + [s["t1"] for s in self.slices]
        times += [i["t0"] for i in self.instants]
        self.start = min(times) if times else 0
        self.end = max(times) if times else 1
        lanes = sorted({(s["pid"], s["tid"]) for s in self.slices} |
                       {(i["pid"], i["tid"]) for i in self.instants if i.get("s") != "p"})
        self.lanes = {key: n for n, key in enumerate(lanes)}
        pids = sorted({pid for pid, _ in lanes} | set(self.proc_name))
        self.colour = {pid: PALETTE[n % len(PALETTE)] for n, pid in enumerate(pids)}
        self.depth = self._depths()

    def _depths(self):
        """Nesting level of every slice on its lane (0: outermost)."""
        depth = {}
        by_lane = {}
        for n, s in enumerate(self.slices):
            by_lane.setdefault((s["pid"], s["tid"]), []).append(n)
        for idx in by_lane.values():
            idx.sort(key=lambda n: (self.slices[n]["t0"], -self.slices[n]["t1"]))
            stack = []
            for n in idx:
                s = self.slices[n]
                while stack and self.slices[stack[-1]]["t1"] <= s["t0"]:
                    stack.pop()
                depth[n] = len(stack)
                stack.append(n)
        return depth

    def lane_y(self, pid, tid):
        """Lanes top to bottom: lane 0 at the top of the picture."""
        return -self.lanes[(pid, tid)]

    def bar_top(self, n):
        s = self.slices[n]
        return self.lane_y(s["pid"], s["tid"]) + 0.42 - BAND * min(self.depth[n], 3)


def write_files(tl, tmp, unit):
    scale = 1e6 if unit == "ms" else 1e3
    x = lambda t: (t - tl.start) / scale
    bars, labels, arrows, queues, marks = [], [], [], [], {k: [] for k in MARKS}
    by_flow_out, by_flow_in = {}, {}
    width = max(tl.end - tl.start, 1)
    for n, s in enumerate(tl.slices):
        top = tl.bar_top(n)
        callee = s["args"].get("callee")
        callee_pid = next((p for p, name in tl.proc_name.items() if name == callee), None)
        if s["cat"] == "serve" or s["name"] == "restart":
            colour = rgb(tl.colour.get(s["pid"], PALETTE[0]))
        elif callee_pid is not None:
            colour = lighter(tl.colour[callee_pid])
        else:
            colour = lighter("#8c8c8c")
        if s["name"] == "restart":
            colour = rgb("#9467bd")
        x0, x1 = x(s["t0"]), x(s["t1"])
        bars.append(f"{x0} {x1} {top - BAND + 0.03} {top} {colour}")
        if s["name"] == "deadlock":
            marks["deadlock"].append(f"{x0} {top - BAND / 2}")
        if (s["t1"] - s["t0"]) > width * 0.06:
            labels.append(f"{(x0 + x1) / 2} {top - BAND / 2} {gp_quote(s['name'])}")
        if "bind_id" in s:
            if s.get("flow_out") and s["cat"] == "call":
                by_flow_out[s["bind_id"]] = (x0, top - BAND / 2)
            if s.get("flow_in"):
                by_flow_in.setdefault(s["bind_id"], []).append((x0, top - BAND / 2))
            if s.get("flow_out") and s["cat"] == "serve":
                by_flow_out.setdefault(("reply", s["bind_id"]), (x(s["t1"]), top - BAND / 2))
    for bind_id, (fx, fy) in by_flow_out.items():
        if isinstance(bind_id, tuple):
            continue
        for tx, ty in by_flow_in.get(bind_id, []):
            arrows.append(f"{fx} {fy} {tx - fx} {ty - fy}")
    # A call's time in the queue: a line leading into the bar of its run.
    served_at = {s["bind_id"]: n for n, s in enumerate(tl.slices)
                 if s["cat"] == "serve" and "bind_id" in s}
    for qid, q in tl.queues.items():
        n = served_at.get(int(qid, 16))
        if "b" in q and "e" in q and n is not None:
            y = tl.bar_top(n) - BAND / 2
            x0, x1 = x(ns(q["b"]["ts"])), x(ns(q["e"]["ts"]))
            queues.append(f"{x0} {y} {x1 - x0} 0")
    deaths = []
    first_lane = {}
    for (pid, tid), n in sorted(tl.lanes.items(), key=lambda kv: kv[1]):
        first_lane.setdefault(pid, -n)
    last_label = {}   # per process: where its previous label went
    for i in sorted(tl.instants, key=lambda i: i["t0"]):
        if i.get("s") == "p":
            if i["pid"] in first_lane:
                # Two notices close together: the second label goes higher.
                near = i["pid"] in last_label and \
                    i["t0"] - last_label[i["pid"]][0] < width * 0.05
                up = 0.22 if near and last_label[i["pid"]][1] == 0.0 else 0.0
                last_label[i["pid"]] = (i["t0"], up)
                y = first_lane[i["pid"]] + 0.47
                deaths.append(f"{x(i['t0'])} {y} {y + 0.14 + up} "
                              f"{gp_quote(i['name'].replace('died: ', ''))}")
        elif i["name"] in marks:
            marks[i["name"]].append(f"{x(i['t0'])} {tl.lane_y(i['pid'], i['tid']) + 0.3}")
    files = {}
    for name, rows in [("bars", bars), ("labels", labels), ("arrows", arrows),
                       ("queues", queues), ("deaths", deaths)] + \
                      [("mark_" + k, v) for k, v in marks.items()]:
        path = os.path.join(tmp, name + ".dat")
        with open(path, "w") as f:
            f.write("\n".join(rows) + ("\n" if rows else ""))
        files[name] = (path, len(rows))
    return files


def script(tl, files, png, size, title, unit):
    w, h = size
    ytics = ", ".join(
        f"{gp_quote(tl.proc_name.get(pid, str(pid)) + ' / ' + tl.thread_name.get((pid, tid), 'thread') + ' ' + str(tid))} {-n}"
        for (pid, tid), n in tl.lanes.items())
    span = (tl.end - tl.start) / (1e6 if unit == "ms" else 1e3)
    plots = []
    path, count = files["bars"]
    if count:
        plots.append(f"{gp_quote(path)} using 1:3:2:4:5 with boxxy fs solid 0.95 "
                     f"border lc rgb '#404040' lc rgb variable notitle")
    path, count = files["queues"]
    if count:
        plots.append(f"{gp_quote(path)} using 1:2:3:4 with vectors nohead lw 3 "
                     f"lc rgb '#e0a800' title 'queued'")
    path, count = files["arrows"]
    if count:
        plots.append(f"{gp_quote(path)} using 1:2:3:4 with vectors head size screen 0.008,20 "
                     f"filled lw 1 lc rgb '#303030' title 'call -> server'")
    path, count = files["labels"]
    if count:
        plots.append(f"{gp_quote(path)} using 1:2:3 with labels font 'sans,8' notitle")
    for k, (pt, colour, legend) in MARKS.items():
        path, count = files["mark_" + k]
        if count:
            plots.append(f"{gp_quote(path)} using 1:2 with points pt {pt} ps 1.6 "
                         f"lc rgb '{colour}' title '{legend}'")
    path, count = files["deaths"]
    if count:
        plots.append(f"{gp_quote(path)} using 1:2 with points pt 11 ps 1.2 "
                     f"lc rgb '#9467bd' title 'death notice'")
        plots.append(f"{gp_quote(path)} using 1:3:4 with labels font 'sans,8' notitle")
    if not plots:
        plots.append("NaN notitle")
    # x0:x1:y0:y1 boxes: gnuplot's boxxyerror takes x:y:xlow:xhigh:ylow:yhigh.
    plots = [p.replace("using 1:3:2:4:5 with boxxy",
                       "using (($1+$2)/2):(($3+$4)/2):1:2:3:4:5 with boxxyerror")
             for p in plots]
    lanes = len(tl.lanes)
    return f"""
set terminal pngcairo noenhanced size {w},{h} font "sans,10"
set output {gp_quote(png)}
set title {gp_quote(title)}
set xlabel "time since the trace started ({unit})"
set xrange [{-span * 0.01}:{span * 1.01}]
set yrange [{-(lanes - 1) - 0.6}:0.75]
set ytics ({ytics}) nomirror
set grid xtics
set key outside bottom center horizontal
set style fill solid 0.95
set lmargin 28
plot {", ".join(plots)}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace")
    ap.add_argument("-o", "--output", help="PNG to write (default: TRACE with .png)")
    ap.add_argument("--size", default=None, help="WIDTHxHEIGHT in pixels")
    ap.add_argument("--title", default=None)
    ap.add_argument("--keep", metavar="DIR", help="leave the .dat and .gp files in DIR")
    args = ap.parse_args()
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        sys.exit("pftrace_png: gnuplot is needed (Debian: apt-get install gnuplot-nox)")
    _, evs = load(args.trace)
    tl = Timeline(evs)
    if not tl.lanes:
        sys.exit(f"pftrace_png: {args.trace}: no calls in this trace")
    if args.size:
        w, h = (int(v) for v in args.size.lower().split("x"))
    else:
        w, h = 1600, 140 + 70 * len(tl.lanes)
    unit = "ms" if tl.end - tl.start > 2_000_000 else "us"
    png = args.output or os.path.splitext(args.trace)[0] + ".png"
    title = args.title or f"pfipc trace {os.path.basename(args.trace)}: " \
                          f"{len(tl.proc_name)} processes, {len(tl.lanes)} threads"
    tmp = args.keep or tempfile.mkdtemp(prefix="pftrace_png.")
    os.makedirs(tmp, exist_ok=True)
    try:
        files = write_files(tl, tmp, unit)
        gp = os.path.join(tmp, "timeline.gp")
        with open(gp, "w") as f:
            f.write(script(tl, files, png, (w, h), title, unit))
        subprocess.run([gnuplot, gp], check=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(png)


if __name__ == "__main__":
    main()
