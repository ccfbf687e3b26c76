#!/usr/bin/env python3
"""A bounded soak of the benchmark echo server (line mode): for --minutes
(default 2), well-behaved clients (normal, slow) and abusive ones run side by
side over loopback; afterwards the server's open descriptors must be back at
their baseline, its resident memory near it, every well-behaved client must
have got every byte back intact and in order, and the server must have
logged nothing. Exits 1 on any failure. docs/reliability.md.

    bench/soak.py build/bench/echo_server [--minutes 2] [--clients 24]

Well-behaved: "normal" clients pipeline random lines (1 byte to 4 KiB) and
check the echo byte for byte; "slow" ones send each line in small pieces
with pauses and read in small pieces. Abusive: 1 MiB without a newline (the
server drops the line), an RST in the middle of a stream, a client that
sends 4 MiB and never reads, a half-close with a partial line, a connect
that closes at once.
"""
import argparse
import asyncio
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Stats:
    def __init__(self):
        self.bytes_verified = 0
        self.lines_verified = 0
        self.sessions = {}
        self.failures = []

    def session(self, kind):
        self.sessions[kind] = self.sessions.get(kind, 0) + 1


def random_line(rng):
    n = rng.choice([1, 2, 10, 100, 1000, 4000]) + rng.randrange(16)
    body = bytes(rng.randrange(32, 127) for _ in range(min(n, 64)))
    return (body * (n // len(body) + 1))[:n] + b"\n"


async def normal(port, rng, stats, deadline):
    while time.monotonic() < deadline:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(rng.randrange(1, 20)):
                lines = [random_line(rng) for _ in range(rng.randrange(1, 30))]
                writer.write(b"".join(lines))
                await writer.drain()
                for line in lines:
                    got = await asyncio.wait_for(reader.readline(), 30)
                    if got != line:
                        stats.failures.append(
                            f"normal: sent {len(line)} bytes {line[:40]!r}, "
                            f"got {len(got)} bytes {got[:40]!r}")
                        return
                    stats.bytes_verified += len(line)
                    stats.lines_verified += 1
            writer.write_eof()
            rest = await asyncio.wait_for(reader.read(), 30)
            if rest:
                stats.failures.append(f"normal: {len(rest)} bytes after EOF")
                return
            stats.session("normal")
        finally:
            writer.close()


async def slow(port, rng, stats, deadline):
    while time.monotonic() < deadline:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(rng.randrange(1, 5)):
                line = random_line(rng)
                for i in range(0, len(line), 7):
                    writer.write(line[i:i + 7])
                    await writer.drain()
                    await asyncio.sleep(0.002)
                got = b""
                while len(got) < len(line):
                    piece = await asyncio.wait_for(reader.read(5), 30)
                    if not piece:
                        break
                    got += piece
                    await asyncio.sleep(0.001)
                if got != line:
                    stats.failures.append(
                        f"slow: sent {len(line)} bytes, got {len(got)} bytes")
                    return
                stats.bytes_verified += len(line)
                stats.lines_verified += 1
            stats.session("slow")
        finally:
            writer.close()


def rst_close(writer):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def abusive(port, rng, stats, deadline):
    while time.monotonic() < deadline:
        kind = rng.choice(["flood", "rst", "never_reads", "half_close", "hang_up"])
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as e:
            stats.failures.append(f"abusive connect: {e}")
            return
        try:
            if kind == "flood":
                # 1 MiB without a newline, then a line: only the line comes back.
                chunk = b"x" * 65536
                for _ in range(16):
                    writer.write(chunk)
                    await writer.drain()
                writer.write(b"\nafter\n")
                await writer.drain()
                got = await asyncio.wait_for(reader.readline(), 30)
                if got != b"after\n":
                    stats.failures.append(f"flood: got {got[:40]!r} instead of after")
                    return
            elif kind == "rst":
                writer.write(b"some bytes\nand a partial")
                await writer.drain()
                await asyncio.sleep(rng.random() * 0.01)
                rst_close(writer)
            elif kind == "never_reads":
                for _ in range(64):
                    writer.write(b"y" * 65535 + b"\n")
                try:
                    await asyncio.wait_for(writer.drain(), 0.5)
                except asyncio.TimeoutError:
                    pass
                rst_close(writer)
            elif kind == "half_close":
                writer.write(b"whole line\npartial")
                writer.write_eof()
                got = await asyncio.wait_for(reader.read(), 30)
                if got != b"whole line\npartial":
                    stats.failures.append(f"half_close: got {got!r}")
                    return
            else:
                pass  # hang up at once
            stats.session("abusive:" + kind)
        except (ConnectionError, OSError):
            stats.session("abusive:" + kind)
        finally:
            writer.close()


async def run_clients(port, args, stats):
    deadline = time.monotonic() + args.minutes * 60
    rng = random.Random(args.seed)
    tasks = []
    for i in range(args.clients):
        role = [normal, normal, slow, abusive][i % 4]
        tasks.append(asyncio.create_task(
            role(port, random.Random(rng.random()), stats, deadline)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for role_result in results:
        if isinstance(role_result, BaseException):
            stats.failures.append(f"client raised {role_result!r}")


async def warm_up(port):
    stats = Stats()
    args = argparse.Namespace(minutes=2 / 60, clients=8, seed=1)
    await run_clients(port, args, stats)
    return stats


def settle(pid, baseline_fds, seconds=20):
    """Waits until the server's descriptors are back at the baseline."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if fd_count(pid) == baseline_fds:
            return True
        time.sleep(0.1)
    return fd_count(pid) == baseline_fds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("server")
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    srv = subprocess.Popen([args.server, "--port", "0", "--mode", "line"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures = []
    try:
        port = int(srv.stdout.readline().strip().rsplit(":", 1)[1])
        # Baseline after a short warm-up: the allocator's arenas, the
        # thread-local caches and the first connections' memory are in.
        asyncio.run(warm_up(port))
        time.sleep(1.0)
        base_fds = fd_count(srv.pid)
        base_rss = rss_kib(srv.pid)
        print(f"soak: {args.minutes} min, {args.clients} clients, server pid {srv.pid}, "
              f"baseline fds={base_fds} rss_kib={base_rss}", flush=True)
        stats = Stats()
        peak = [base_rss]

        async def run_and_sample():
            async def sample():
                while True:
                    peak[0] = max(peak[0], rss_kib(srv.pid))
                    await asyncio.sleep(0.5)
            sampler = asyncio.create_task(sample())
            await run_clients(port, args, stats)
            sampler.cancel()

        asyncio.run(run_and_sample())
        failures += stats.failures
        if not settle(srv.pid, base_fds):
            failures.append(f"open fds {fd_count(srv.pid)} != baseline {base_fds}")
        time.sleep(1.0)
        end_rss = rss_kib(srv.pid)
        # glibc keeps some freed memory in its arenas: "back at baseline"
        # means within 16 MiB of it (a leak of a byte per byte echoed would
        # be gigabytes here).
        if end_rss > base_rss + 16 * 1024:
            failures.append(f"rss {end_rss} KiB after the soak, baseline {base_rss} KiB")
        if srv.poll() is not None:
            failures.append(f"the server died with status {srv.returncode}")
        sessions = " ".join(f"{k}={v}" for k, v in sorted(stats.sessions.items()))
        print(f"soak: verified {stats.lines_verified} lines, {stats.bytes_verified} bytes; "
              f"sessions {sessions}", flush=True)
        print(f"soak: fds end={fd_count(srv.pid)} baseline={base_fds}; "
              f"rss_kib baseline={base_rss} peak={peak[0]} end={end_rss}", flush=True)
    finally:
        if srv.poll() is None:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(10)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
    err = srv.stderr.read()
    if err.strip():
        failures.append(f"the server logged: {err.strip()[:2000]}")
    if srv.returncode not in (0, None):
        failures.append(f"the server exited with {srv.returncode}")
    for f in failures:
        print(f"soak: FAILED: {f}", flush=True)
    if not failures:
        print("soak: passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
