#!/usr/bin/env python3
"""tcp_echo_server and tcp_echo_client (either style, coroutine or
*_actor): exact output lines, --port 0, SIGTERM/SIGINT, a refused
connection.

Usage: test_echo.py <tcp_echo_server> <tcp_echo_client> <case>
"""

import os
import re
import signal
import socket
import time

from demo_support import RefusedPort, Server, check, check_equal, main, run

PEER = re.compile(r"^127\.0\.0\.1:(\d+)$")

# Python's repr of each decoded message is what both demos must print.
MESSAGES = [
    "Hello World!",
    "It's",                      # single quote only: repr uses "..."
    'say "hi"',                  # double quote only
    "both ' and \"",             # both: '...' with \'
    "tab\there\nnew line\r\\",   # escapes
    "héllo wörld ✓ 中文 🙂",      # printable non-ASCII stays as is
    "\x01\x1b[0m\x7f",           # control characters: \xNN
    "\u00a0nbsp\u2028sep\u200bzw\u0085",  # non-printable non-ASCII
]


def server_args(server):
    return [server, "--host", "127.0.0.1", "--port", "0"]


def expect_client_output(result, message):
    check_equal(result.returncode, 0, f"client exit status (stderr {result.stderr!r})")
    check_equal(result.stdout.splitlines(),
                [f"Send: {message!r}", f"Received: {message!r}", "Close the socket"],
                "tcp_echo_client output")
    check_equal(result.stderr, "", "tcp_echo_client stderr")


def expect_server_lines(lines, message):
    m = re.match(r"^Received (.*) from '(.*)'$", lines[0])
    check(m is not None, f"unexpected server line {lines[0]!r}")
    check_equal(m.group(1), repr(message), "the server's message")
    check(PEER.match(m.group(2)), f"peer is not host:port: {m.group(2)!r}")
    check_equal(lines[1:], [f"Send: {message!r}", "Close the client socket"],
                "tcp_echo_server lines")


def case_pair(server, client):
    with Server(server_args(server)) as srv:
        check(srv.port != 0, "the server printed port 0")
        for message in MESSAGES:
            result = run([client, "--host", "127.0.0.1", "--port", srv.port,
                          "--message", message])
            expect_client_output(result, message)
            expect_server_lines(srv.next_lines(3), message)
        # The server reads at most 100 bytes and echoes just those.
        long_message = "".join(chr(ord("a") + i % 26) for i in range(150))
        result = run([client, "--port", srv.port, "--message", long_message])
        check_equal(result.returncode, 0, "client exit status")
        check_equal(result.stdout.splitlines(),
                    [f"Send: {long_message!r}", f"Received: {long_message[:100]!r}",
                     "Close the socket"], "client output for a 150-byte message")
        lines = srv.next_lines(3)
        check_equal(lines[1], f"Send: {long_message[:100]!r}", "server echo line")
        check_equal(srv.stop(), 0, "server exit status after SIGTERM")
        check_equal(srv.remaining_lines(), [], "server lines after the clients")
        check_equal(srv.stderr(), "", "server stderr")


def case_default_message(server, client):
    # No --message: asyncio's example text.
    with Server(server_args(server)) as srv:
        result = run([client, "--port", srv.port])
        expect_client_output(result, "Hello World!")
        expect_server_lines(srv.next_lines(3), "Hello World!")
        check_equal(srv.stop(), 0, "server exit status")


def case_port0(server, client):
    with Server(server_args(server)) as srv:
        check(0 < srv.port < 65536, f"not a real port: {srv.port}")
        # The printed port is the one it listens on: a plain socket echoes.
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"ping")
            data = b""
            while True:
                chunk = s.recv(100)
                if not chunk:
                    break
                data += chunk
            check_equal(data, b"ping", "echo through the printed port")
        expect_server_lines(srv.next_lines(3), "ping")
        check_equal(srv.stop(), 0, "server exit status")


def open_sockets(pid):
    """The number of sockets process `pid` holds."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def stop_with(server, sig):
    with Server(server_args(server)) as srv:
        # An idle client must not hold up the shutdown. Wait until the server
        # has accepted it: a connection still in the listen backlog when the
        # listener closes is reset by the kernel, whatever the server does.
        before = open_sockets(srv.proc.pid)
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as idle:
            deadline = time.monotonic() + 10
            while open_sockets(srv.proc.pid) <= before:
                check(time.monotonic() < deadline, "the server never accepted")
                time.sleep(0.01)
            check_equal(srv.stop(sig), 0, f"exit status after signal {sig}")
            idle.settimeout(10)
            check_equal(idle.recv(100), b"", "the idle client sees EOF")
        check_equal(srv.stderr(), "", "server stderr")


def case_sigterm(server, client):
    stop_with(server, signal.SIGTERM)


def case_sigint(server, client):
    stop_with(server, signal.SIGINT)


def case_refused(server, client):
    with RefusedPort() as port:
        result = run([client, "--host", "127.0.0.1", "--port", port])
    check(result.returncode != 0, "a refused connection must exit non-zero")
    check_equal(result.stdout, "", "stdout of a refused connection")
    # One line: the program's name, then the error with the address tried
    # and the OS's reason (the actor style names the step first).
    program = os.path.basename(client)
    lines = result.stderr.splitlines()
    check_equal(len(lines), 1, f"stderr lines of a refused connection {lines!r}")
    check(lines[0].startswith(f"{program}: "), f"stderr does not name {program}: {lines[0]!r}")
    why = (f"connect_failed: cannot connect to '127.0.0.1':{port} "
           f"(tried 127.0.0.1:{port}): Connection refused")
    check(lines[0].endswith(why), f"stderr does not say why: {lines[0]!r}")


def case_bad_args(server, client):
    for binary, args in [(server, ["--port", "70000"]), (server, ["--bogus"]),
                         (client, ["--port", "x"]), (client, ["extra"])]:
        result = run([binary, *args])
        check(result.returncode != 0, f"{binary} {args} must exit non-zero")
        check(result.stderr != "", f"{binary} {args} must say why on stderr")


if __name__ == "__main__":
    main({
        "pair": case_pair,
        "mixed_styles": case_pair,
        "default_message": case_default_message,
        "port0": case_port0,
        "sigterm": case_sigterm,
        "sigint": case_sigint,
        "refused": case_refused,
        "bad_args": case_bad_args,
    })
