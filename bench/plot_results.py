#!/usr/bin/env python3
"""Draws the side-by-side chart of docs/performance.md from a harness run's
raw results: for each cell, every server's median throughput relative to
raw Asio's in the same run (1.0 = raw Asio). Needs matplotlib (Debian:
python3-matplotlib). Prints the medians it drew.

    bench/plot_results.py RAW_TXT OUT_SVG [--servers a,b,c]

RAW_TXT is the raw.txt next to a run_peers.sh report (one RESULT line per
run: server|cell|run|rc|RESULT key=value ...). Runs that failed (rc != 0,
errors, mismatches) are left out; the median uses the undisturbed runs
(other processes <= 12 % of a core) where a cell has any, as the report does.
"""
import argparse
import statistics
import sys
from collections import defaultdict


def parse(path):
    runs = defaultdict(list)  # (server, cell label) -> [(value, disturbed)]
    other_max = 12.0
    for line in open(path):
        parts = line.rstrip("\n").split("|", 4)
        if len(parts) < 5 or not parts[4].startswith("RESULT"):
            continue
        name, _, _, rc, result = parts
        kv = dict(f.split("=", 1) for f in result.split()[1:] if "=" in f)
        if rc != "0" or int(kv.get("errors", "1")) \
                or int(kv.get("mismatches", "1")):
            continue
        disturbed = float(kv.get("other_cpu_pct", "0")) > other_max
        mode = kv["mode"]
        if mode == "bulk":
            label, value = f"bulk c={kv['conns']}\nMB/s", float(kv["mb_s"])
        else:
            label = f"{mode} c={kv['conns']}"
            if kv.get("depth", "1") != "1":
                label += f" d={kv['depth']}"
            label += "\nreq/s" if mode == "pingpong" else "\nlines/s"
            value = float(kv["rps"])
        runs[(name, label)].append((value, disturbed))
    medians = {}
    for key, values in runs.items():
        clean = [v for v, d in values if not d] or [v for v, _ in values]
        medians[key] = statistics.median(clean)
    return medians


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("raw")
    p.add_argument("out")
    p.add_argument("--servers", default="actorstreams,asio,py-uvloop,go,"
                   "erlang,caf-broker,node")
    args = p.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    medians = parse(args.raw)
    servers = args.servers.split(",")
    cells = []
    for (_, label) in medians:
        if label not in cells:
            cells.append(label)
    # Line servers answer the lines cells; raw servers the others.
    def value(server, cell):
        if cell.startswith("lines"):
            return medians.get((server + "-lines", cell))
        return medians.get((server, cell))

    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / len(servers)
    for i, server in enumerate(servers):
        xs, ys = [], []
        for j, cell in enumerate(cells):
            v, ref = value(server, cell), value("asio", cell)
            if v is None or not ref:
                continue
            xs.append(j + (i - (len(servers) - 1) / 2) * width)
            ys.append(v / ref)
            print(f"{server:14s} {cell.replace(chr(10), ' '):26s} {v:12.0f}"
                  f"  {v / ref:5.2f}x asio")
        ax.bar(xs, ys, width, label=server)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels(cells)
    ax.set_ylabel("throughput / raw Asio's (same run)")
    ax.set_title("Echo servers, one run, one 2-core machine (lines cells: "
                 "each server's line mode vs raw Asio's read_until server)",
                 fontsize="medium")
    ax.legend(ncol=4, fontsize="small")
    fig.tight_layout()
    fig.savefig(args.out, format="svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
