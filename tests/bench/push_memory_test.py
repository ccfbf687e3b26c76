#!/usr/bin/env python3
"""A subscriber that never grants (echo_server --mode push --credit 0
--grant 0): a client pushes up to 256 MiB at it. Nothing is cut, the
connection stops reading above 2 x limit, the client's sends stop when the
kernel's buffers are full, and the server's RSS stays within 2 x limit plus
a small margin of its baseline. Prints the peak RSS and how much the client
got through.

usage: push_memory_test.py PATH/TO/echo_server [server args...]
"""

import socket
import threading
import time

from echo_support import EchoServer, check, run

TOTAL = 256 << 20
CHUNK = 1 << 20
LIMIT = 64 << 10
# 2 x limit buffered, read buffers and allocator slack; the kernel's socket
# buffers are not in the process's RSS.
GROWTH_LIMIT_KIB = 8 << 10
PUSH_SECONDS = 3.0


def main(binary):
    with EchoServer(binary, "--mode", "push", "--framing", "chunks",
                    "--credit", "0", "--grant", "0") as server:
        baseline = server.rss_kib()
        sock = server.connect()
        sent = [0]
        stop = threading.Event()

        def push():
            sock.settimeout(0.2)
            block = b"p" * CHUNK
            while sent[0] < TOTAL and not stop.is_set():
                try:
                    sent[0] += sock.send(block)
                except socket.timeout:
                    pass  # the server reads nothing more: the buffers are full

        pusher = threading.Thread(target=push, daemon=True)
        pusher.start()
        peak = baseline
        deadline = time.monotonic() + PUSH_SECONDS
        while time.monotonic() < deadline:
            rss = server.rss_kib()
            if rss is not None:
                peak = max(peak, rss)
            time.sleep(0.05)
        stop.set()
        pusher.join(timeout=10)
        sock.close()
        growth = peak - baseline
        print(f"client got {sent[0] >> 10} KiB of {TOTAL >> 20} MiB through in "
              f"{PUSH_SECONDS:.0f} s; server RSS {baseline >> 10} -> peak "
              f"{peak >> 10} MiB (+{growth} KiB; bound +{GROWTH_LIMIT_KIB} KiB)",
              flush=True)
        check(sent[0] < TOTAL, "the whole 256 MiB went through a subscriber "
                               "that grants nothing")
        check(growth < GROWTH_LIMIT_KIB,
              f"server RSS grew by {growth} KiB, over {GROWTH_LIMIT_KIB} KiB")


if __name__ == "__main__":
    run(main)
