#!/usr/bin/env python3
"""push_echo_server against Python asyncio clients: every line back in
order, many clients at once, an over-long line skipped, a client that sends
a lot without reading, each client's end logged, SIGTERM.

Usage: test_push_echo.py <push_echo_server> <case>
"""

import asyncio
import collections
import re
import signal

from demo_support import STEP_TIMEOUT, Server, check, check_equal, main

ECHOED = re.compile(r"^Echoed (\d+) lines to '127\.0\.0\.1:(\d+)'$")


async def echo_lines(port, lines, pause_reading=0.0):
    """Sends `lines` and half-closes while it reads everything back (after
    `pause_reading` seconds); returns the echo and the client's port."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), STEP_TIMEOUT)
    async def send():
        writer.write(b"".join(lines))
        await writer.drain()
        writer.write_eof()

    async def receive():
        # A client that reads late: until then its own sends back up.
        await asyncio.sleep(pause_reading)
        return await reader.read()

    try:
        local_port = writer.get_extra_info("sockname")[1]
        _, data = await asyncio.wait_for(asyncio.gather(send(), receive()),
                                         STEP_TIMEOUT)
    finally:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), STEP_TIMEOUT)
    return data, local_port


def ends(server, count):
    """The next `count` "Echoed N lines" log lines, as {port: N}."""
    got = {}
    for line in server.next_lines(count):
        m = ECHOED.match(line)
        check(m is not None, f"unexpected log line {line!r}")
        got[int(m.group(2))] = int(m.group(1))
    return got


def case_lines_in_order(server):
    lines = [f"line {i} {'x' * (i % 50)}\n".encode() for i in range(1000)]
    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        data, port = asyncio.run(echo_lines(srv.port, lines))
        check_equal(data, b"".join(lines), "the echo of 1000 lines")
        check_equal(ends(srv, 1), {port: 1000}, "the end of the client")
        check_equal(srv.stop(), 0, "exit status after SIGTERM")
        check_equal(srv.stderr(), "", "stderr")


def case_many_clients(server):
    clients = 12

    async def all_clients(port):
        return await asyncio.gather(*(
            echo_lines(port, [f"c{c} l{i}\n".encode() for i in range(300)])
            for c in range(clients)))

    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        results = asyncio.run(all_clients(srv.port))
        want = {}
        for c, (data, port) in enumerate(results):
            check_equal(data, b"".join(f"c{c} l{i}\n".encode() for i in range(300)),
                        f"client {c}'s echo (never mixed with another's)")
            want[port] = 300
        check_equal(ends(srv, clients), want, "every client's end")
        check_equal(srv.stop(), 0, "exit status")


def case_overlong_line_skipped(server):
    lines = [b"before\n", b"y" * (70 * 1024) + b"\n", b"after\n"]
    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        data, port = asyncio.run(echo_lines(srv.port, lines))
        check_equal(data, b"before\nafter\n", "the echo around a 70 KiB line")
        check_equal(srv.next_line(), f"Skipped an over-long line from '127.0.0.1:{port}'",
                    "the skip is logged")
        check_equal(ends(srv, 1), {port: 2}, "the end of the client")
        check_equal(srv.stop(), 0, "exit status")


def case_client_that_reads_late(server):
    # 16 MiB of lines sent before reading anything: the server's writes back
    # up, it stops granting, its connection stops reading; all arrive later.
    lines = [b"%07d %s\n" % (i, b"z" * 120) for i in range(130_000)]
    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        data, port = asyncio.run(echo_lines(srv.port, lines, pause_reading=1.0))
        check_equal(len(data), sum(map(len, lines)), "bytes echoed")
        check(data == b"".join(lines), "the echo differs from what was sent")
        check_equal(ends(srv, 1), {port: len(lines)}, "the end of the client")
        check_equal(srv.stop(), 0, "exit status")


def case_sigterm_with_idle_client(server):
    async def idle_then_stop(srv):
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(b"hello\n")
        await writer.drain()
        check_equal(await asyncio.wait_for(reader.readline(), STEP_TIMEOUT),
                    b"hello\n", "the idle client's first echo")
        status = await asyncio.get_running_loop().run_in_executor(
            None, srv.stop, signal.SIGTERM)
        rest = await asyncio.wait_for(reader.read(), STEP_TIMEOUT)
        writer.close()
        return status, rest

    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        status, rest = asyncio.run(idle_then_stop(srv))
        check_equal(status, 0, "exit status with a client connected")
        check_equal(rest, b"", "the idle client sees EOF")
        check_equal(srv.stderr(), "", "stderr")


if __name__ == "__main__":
    main({
        "lines_in_order": case_lines_in_order,
        "many_clients": case_many_clients,
        "overlong_line_skipped": case_overlong_line_skipped,
        "client_that_reads_late": case_client_that_reads_late,
        "sigterm_with_idle_client": case_sigterm_with_idle_client,
    })
