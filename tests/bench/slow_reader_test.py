#!/usr/bin/env python3
"""A client streams 256 MiB through echo_server (read mode) while reading the
echo, stops reading for 2 s halfway, then reads the rest. The echo must be
byte-for-byte intact and the server's RSS must stay under 64 MiB throughout
(flow control end to end: drain() stalls, the reader pauses the socket).

usage: slow_reader_test.py PATH/TO/echo_server
"""

import array
import socket
import threading
import time

from echo_support import EchoServer, TestFailure, check, run

TOTAL = 256 << 20
CHUNK = 64 << 10
WORDS = CHUNK // 8
PAUSE_AT = TOTAL // 2
PAUSE_SECONDS = 2.0
RSS_LIMIT_KIB = 64 << 10

# Chunk k holds the 64-bit little-endian counters k*WORDS .. (k+1)*WORDS-1:
# every 8-byte word of the 256 MiB is distinct, so a shifted, dropped,
# duplicated or reordered piece cannot match. Built as one big integer per
# chunk (no carries cross the words), which is fast in pure Python.
_ONES = int.from_bytes(array.array("Q", [1] * WORDS).tobytes(), "little")
_BASE = int.from_bytes(array.array("Q", range(WORDS)).tobytes(), "little")


def pattern_chunk(k):
    return (_BASE + k * WORDS * _ONES).to_bytes(CHUNK, "little")


class PatternChecker:
    """Compares the echo with the pattern as it arrives, keeping one chunk."""

    def __init__(self):
        self.offset = 0
        self.cached = (-1, b"")

    def chunk(self, k):
        if self.cached[0] != k:
            self.cached = (k, pattern_chunk(k))
        return self.cached[1]

    def feed(self, data):
        view = memoryview(data)
        while view:
            k, start = divmod(self.offset, CHUNK)
            check(k < TOTAL // CHUNK, f"more than {TOTAL} bytes echoed")
            want = self.chunk(k)
            n = min(len(view), CHUNK - start)
            if view[:n] != want[start:start + n]:
                got = bytes(view[:n])
                at = next(i for i in range(n) if got[i] != want[start + i])
                raise TestFailure(
                    f"echo differs at offset {self.offset + at}: got "
                    f"{got[at:at + 16].hex()}, expected {want[start + at:start + at + 16].hex()}"
                )
            self.offset += n
            view = view[n:]


class RssSampler(threading.Thread):
    """Samples the server's VmRSS every 100 ms."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.peak_kib = 0
        self.samples = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            rss = self.server.rss_kib()
            if rss is not None:
                self.peak_kib = max(self.peak_kib, rss)
                self.samples += 1
            self.stopped.wait(0.1)

    def stop(self):
        self.stopped.set()
        self.join()


def main(binary):
    with EchoServer(binary, "--mode", "read") as server:
        sampler = RssSampler(server)
        sampler.start()
        try:
            stream(server)
        finally:
            sampler.stop()
        peak_mib = sampler.peak_kib / 1024
        print(f"server RSS peak: {peak_mib:.1f} MiB over {sampler.samples} samples "
              f"(limit {RSS_LIMIT_KIB // 1024} MiB)", flush=True)
        check(sampler.samples >= 10, f"only {sampler.samples} RSS samples")
        check(sampler.peak_kib < RSS_LIMIT_KIB,
              f"server RSS peaked at {peak_mib:.1f} MiB, over the {RSS_LIMIT_KIB // 1024} MiB bound")
        check(server.alive(), "the server died")


def stream(server):
    sock = server.connect()
    sent = [0]
    errors = []

    def send():
        try:
            for k in range(TOTAL // CHUNK):
                sock.sendall(pattern_chunk(k))
                sent[0] += CHUNK
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(e)

    sender = threading.Thread(target=send, daemon=True)
    started = time.monotonic()
    sender.start()
    checker = PatternChecker()
    paused = False
    try:
        while True:
            data = sock.recv(CHUNK)
            if not data:
                break
            checker.feed(data)
            if not paused and checker.offset >= PAUSE_AT:
                paused = True
                before = sent[0]
                time.sleep(PAUSE_SECONDS)
                print(f"paused reading for {PAUSE_SECONDS:.0f} s at {checker.offset >> 20} MiB "
                      f"echoed; the client sent {(sent[0] - before) >> 10} KiB meanwhile "
                      f"(then the socket stopped it)", flush=True)
    except socket.timeout:
        raise TestFailure(f"no echo for 30 s at offset {checker.offset}")
    finally:
        sender.join(timeout=30)
        sock.close()
    elapsed = time.monotonic() - started
    check(not errors, f"sending failed: {errors}")
    check(paused, "never reached the pause point")
    check(checker.offset == TOTAL, f"echo ended after {checker.offset} of {TOTAL} bytes")
    print(f"256 MiB echoed intact in {elapsed:.1f} s "
          f"({TOTAL / (elapsed - PAUSE_SECONDS) / 1e6:.0f} MB/s outside the pause)", flush=True)


if __name__ == "__main__":
    run(main)
