"""Shared helpers of the demo tests (Python 3 standard library only).

Every child runs on 127.0.0.1 with port 0 (the server prints the real port),
every wait is bounded, and every child is stopped by its PID in a `finally`
(the context managers below), on success and on failure alike.
"""

import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

STEP_TIMEOUT = 20.0   # seconds for one client run
START_TIMEOUT = 10.0  # seconds for a server's first line
STOP_TIMEOUT = 10.0   # seconds for a server to exit after a signal


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}:\n  expected: {expected!r}\n  actual:   {actual!r}")


def main(cases):
    """Runs the case named by the last command-line argument:
    `script.py <binaries...> <case>`; exits 1 with the reason on failure."""
    name = sys.argv[-1]
    if name not in cases:
        print(f"unknown case {name!r}; cases: {', '.join(cases)}", file=sys.stderr)
        sys.exit(2)
    try:
        cases[name](*sys.argv[1:-1])
    except TestFailure as err:
        print(f"FAIL ({name}): {err}", file=sys.stderr)
        sys.exit(1)
    except Exception:  # a crash of the test itself fails loudly, too
        traceback.print_exc()
        sys.exit(1)
    print(f"ok ({name})")


def run(args, timeout=STEP_TIMEOUT, **kwargs):
    """Runs a client to completion (bounded); returns CompletedProcess with
    text stdout/stderr."""
    try:
        return subprocess.run([str(a) for a in args], capture_output=True,
                              text=True, encoding="utf-8", errors="replace",
                              timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as err:
        raise TestFailure(f"{args[0]} did not finish within {timeout}s: "
                          f"stdout={err.stdout!r} stderr={err.stderr!r}")


class RefusedPort:
    """`with RefusedPort() as port:` a 127.0.0.1 port that refuses
    connections: bound but not listening, and held for the whole block, so
    that no other test can start listening there meanwhile."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()
        return False


def _default_sigint():
    # A child inherits an ignored SIGINT (e.g. from a background shell job);
    # give it the default so that the SIGINT tests mean something.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Server:
    """A server child process: `with Server([...], ready=regex) as s:`.

    Waits (bounded) for a first stdout line matching `ready` (group 1: the
    port); `s.port`, `s.first_line`; `s.next_lines(n)` reads further stdout
    lines (bounded); `s.stop(sig)` signals it by PID and returns its exit
    status. Leaving the block kills it by PID if it still runs."""

    def __init__(self, args, ready=r"^Serving on 127\.0\.0\.1:(\d+)$", cwd=None):
        self.args = [str(a) for a in args]
        self.ready = re.compile(ready)
        self.cwd = cwd
        self.proc = None
        self.lines = queue.Queue()
        self.stderr_file = tempfile.TemporaryFile(mode="w+b")
        self.first_line = None
        self.port = None
        self.returncode = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file,
                                     stdin=subprocess.DEVNULL, cwd=self.cwd,
                                     preexec_fn=_default_sigint)
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            self.first_line = self.next_line(START_TIMEOUT)
            m = self.ready.match(self.first_line)
            check(m is not None, f"{self.args[0]}: unexpected first line "
                                 f"{self.first_line!r} (wanted {self.ready.pattern})")
            self.port = int(m.group(1))
        except BaseException:
            self._kill()
            raise
        return self

    def __exit__(self, *exc):
        self._kill()
        return False

    def _pump(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)  # EOF

    def next_line(self, timeout=STEP_TIMEOUT):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TestFailure(f"{self.args[0]}: no output line within {timeout}s "
                              f"(stderr: {self.stderr()!r})")
        if line is None:
            self.lines.put(None)
            raise TestFailure(f"{self.args[0]}: output ended early "
                              f"(exit {self.proc.poll()}, stderr: {self.stderr()!r})")
        return line

    def next_lines(self, count, timeout=STEP_TIMEOUT):
        deadline = time.monotonic() + timeout
        return [self.next_line(max(0.1, deadline - time.monotonic()))
                for _ in range(count)]

    def remaining_lines(self, timeout=STEP_TIMEOUT):
        """Every line up to EOF (after stop)."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TestFailure(f"{self.args[0]}: stdout not closed in time")
            if line is None:
                self.lines.put(None)
                return out
            out.append(line)

    def stderr(self):
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig` to the PID; returns the exit status (fails the test
        if it does not exit within `timeout`)."""
        self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            raise TestFailure(f"{self.args[0]} did not exit within {timeout}s "
                              f"of signal {sig}")
        return self.returncode

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass


def python_executable():
    """The Python running the tests, for Python children (http.server)."""
    check(sys.executable, "no python3 executable to start children with")
    return sys.executable


def temp_dir():
    return tempfile.TemporaryDirectory(prefix="actorstreams-demo-test-")

