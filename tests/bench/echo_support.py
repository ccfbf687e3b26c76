"""Shared pieces of the echo_server tests: run the server, talk to it.

Each test script takes the echo_server binary and, optionally, arguments
for every server it starts, which override the script's own (`--handler
task`, `--mode push --framing chunks`); it starts the server on port 0 and
stops it with SIGTERM at the end, asserting a clean exit.
"""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

SERVING = re.compile(r"^Serving on (\S+):(\d+)")

# Arguments given after the binary on the command line, for every server.
SERVER_ARGS = []


class TestFailure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise TestFailure(message)


class EchoServer:
    """echo_server --port 0 [args...] as a context manager."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen(
            # The command line's arguments last: they choose the variant
            # (--handler task, --mode push ...) over the script's own.
            [binary, "--port", "0", *args, *SERVER_ARGS], stdout=subprocess.PIPE,
            text=True
        )
        try:
            ready, _, _ = select.select([self.proc.stdout], [], [], 15)
            line = self.proc.stdout.readline() if ready else ""
            match = SERVING.match(line)
            check(match, f"expected 'Serving on HOST:PORT', got {line!r}")
            self.host = match.group(1)
            self.port = int(match.group(2))
            print(f"server pid {self.proc.pid}: {line.strip()}", flush=True)
        except BaseException:
            self.proc.kill()
            self.proc.wait()
            raise

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def connect(self):
        return socket.create_connection((self.host, self.port), timeout=30)

    def rss_kib(self):
        """The server's VmRSS in KiB (None once it is gone)."""
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def open_sockets(self):
        """How many sockets the server process holds."""
        fd_dir = f"/proc/{self.pid}/fd"
        count = 0
        for name in os.listdir(fd_dir):
            try:
                if os.readlink(os.path.join(fd_dir, name)).startswith("socket:"):
                    count += 1
            except OSError:
                pass  # closed meanwhile
        return count

    def stop(self):
        """SIGTERM by PID; the server must exit 0 within 10 s."""
        if self.proc.poll() is not None:
            raise TestFailure(f"the server died early with status {self.proc.returncode}")
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("the server did not exit within 10 s of SIGTERM")
        check(status == 0, f"the server exited with status {status} after SIGTERM")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        # Stop it in any case; a failure to stop cleanly must not hide the
        # test's own failure.
        try:
            self.stop()
        except TestFailure:
            if exc_type is None:
                raise
            print("also: the server did not stop cleanly", file=sys.stderr)
        return False


def exchange(sock, data, timeout=60):
    """Sends `data` from a thread, then half-closes; meanwhile reads until
    EOF. Returns everything received."""
    errors = []

    def send():
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(e)

    sender = threading.Thread(target=send)
    sender.start()
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            check(time.monotonic() < deadline, "no EOF from the server in time")
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            received += chunk
    finally:
        sender.join()
    check(not errors, f"sending failed: {errors}")
    return bytes(received)


def describe_difference(got, want):
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return (
        f"got {len(got)} bytes, expected {len(want)}; first difference at offset {at}: "
        f"got {got[at:at + 32]!r}, expected {want[at:at + 32]!r}"
    )


def run(main):
    """Runs `main(binary)`; exit status 0 on success, 1 on failure."""
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} PATH/TO/echo_server [server args...]",
              file=sys.stderr)
        sys.exit(2)
    SERVER_ARGS[:] = sys.argv[2:]
    try:
        main(sys.argv[1])
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("PASS", flush=True)
