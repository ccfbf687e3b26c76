#!/usr/bin/env python3
"""Memory per idle connection of an echo server: starts it on a free port,
opens N idle client connections, and prints the server's RSS growth per
connection. Prints figures, asserts nothing.

    bench/idle_memory.py build/bench/echo_server [N=2000]
"""
import re
import resource
import socket
import subprocess
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    server, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 100)), hard))
    srv = subprocess.Popen([server, "--port", "0"], stdout=subprocess.PIPE,
                           text=True, preexec_fn=lambda: resource.setrlimit(
                               resource.RLIMIT_NOFILE, (min(hard, n + 100), hard)))
    socks = []
    try:
        port = int(srv.stdout.readline().strip().rsplit(":", 1)[1])
        time.sleep(0.5)
        before = rss_kib(srv.pid)
        for _ in range(n):
            socks.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(1.0)
        after = rss_kib(srv.pid)
        print(f"connections={n} rss_before_kib={before} rss_after_kib={after} "
              f"per_connection_kib={(after - before) / n:.2f}")
    finally:
        for s in socks:
            s.close()
        srv.terminate()
        srv.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
