#!/usr/bin/env python3
"""Context switches per echo of an echo server under the harness's load
generator: starts the server on a free port, runs `loadgen pingpong`, and
divides the voluntary and involuntary context switches of all the server's
threads (from /proc/PID/task/*/status) during the run by the echoes done.
Also prints the server's CPU (100 = one core). Prints figures, asserts nothing.

    bench/ctx_switches.py SERVER LOADGEN [--conns 50] [--seconds 5]
                          [--mode pingpong] [-- server args ...]

e.g. bench/ctx_switches.py build/bench/echo_server \\
       build/bench/harness/loadgen/loadgen -- --io-threads 1
A server argument "{port}" makes it a peer of the harness that takes its
port as an argument and prints nothing (a free port is picked):
     bench/ctx_switches.py build/bench/harness/peers/echo_asio \\
       build/bench/harness/loadgen/loadgen -- {port}
"""
import argparse
import glob
import os
import re
import socket
import subprocess
import sys
import time


def switches(pid):
    vol = invol = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            text = open(status).read()
        except OSError:
            continue  # a thread that just ended
        vol += int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", text).group(1))
        invol += int(re.search(r"nonvoluntary_ctxt_switches:\s+(\d+)", text).group(1))
    return vol, invol


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("server")
    p.add_argument("loadgen")
    p.add_argument("--conns", type=int, default=50)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--mode", default="pingpong")
    args = p.parse_args(argv)
    if any("{port}" in a for a in extra):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = str(s.getsockname()[1])
        srv = subprocess.Popen([args.server,
                                *(a.replace("{port}", port) for a in extra)],
                               stdout=subprocess.DEVNULL)
        time.sleep(0.5)
    else:
        srv = subprocess.Popen([args.server, "--port", "0", *extra],
                               stdout=subprocess.PIPE, text=True)
        port = None
    try:
        if port is None:
            port = srv.stdout.readline().strip().rsplit(":", 1)[1]
        # Warm up (connections made, caches hot), then measure one window.
        subprocess.run([args.loadgen, args.mode, "--port", port, "--conns",
                        str(args.conns), "--seconds", "0.5", "--warmup", "0"],
                       check=True, capture_output=True)
        v0, i0 = switches(srv.pid)
        c0, t0 = cpu_ticks(srv.pid), time.monotonic()
        out = subprocess.run([args.loadgen, args.mode, "--port", port,
                              "--conns", str(args.conns), "--seconds",
                              str(args.seconds), "--warmup", "0"],
                             check=True, capture_output=True, text=True).stdout
        v1, i1 = switches(srv.pid)
        c1, t1 = cpu_ticks(srv.pid), time.monotonic()
        ops = int(re.search(r"\bops=(\d+)", out).group(1))
        cpu = 100.0 * (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)
        print(f"mode={args.mode} conns={args.conns} echoes={ops} "
              f"rps={ops / args.seconds:.0f} "
              f"voluntary_per_echo={(v1 - v0) / max(ops, 1):.4f} "
              f"involuntary_per_echo={(i1 - i0) / max(ops, 1):.4f} "
              f"server_cpu_pct={cpu:.0f} "
              f"threads={len(glob.glob(f'/proc/{srv.pid}/task/*'))}")
    finally:
        srv.terminate()
        srv.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
