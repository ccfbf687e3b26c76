#!/usr/bin/env python3
"""Interop with Python's own asyncio and http.server, for either style of
the demos (coroutine or *_actor):

- python_client:       asyncio clients (open_connection, write, drain,
                       read(100)) against tcp_echo_server get their exact
                       bytes back; the server prints exactly the lines
                       asyncio's example would, with the client's address;
- python_clients_concurrent: the same with many clients at once;
- python_idle_client:  a client that connects and stays silent holds up
                       nobody: others are served meanwhile, and it gets its
                       own echo when it finally writes;
- python_server:       tcp_echo_client against asyncio.start_server running
                       the documentation's handle_echo prints exact lines;
- python_http_server:  print_http_headers against `python3 -m http.server`.

Usage: test_interop.py <demo binary> <case>
"""

import asyncio
import collections
import re
import signal

from demo_support import (STEP_TIMEOUT, Server, check, check_equal, main,
                          python_executable, run, temp_dir)

PAYLOADS = [
    b"Hello World!",
    "It's \"quoted\" \\ back".encode(),
    b"\x00nul\x01\x7f\ttab\r\n",
    "héllo 🙂 中文 \u00a0nbsp \u2028 \u0085".encode(),
    bytes(range(32, 127)),                 # 95 printable ASCII characters
    b"x" * 100,                            # exactly read(100)
    # Invalid UTF-8: shown as decode(errors="replace") would show it.
    b"\xff\xfe bad \xe4\xb8",
    b"a\xed\xa0\x80b\xc0\xafc\xf0\x9f\x98",
]


def expected_server_lines(payload, peer):
    message = payload.decode("utf-8", "replace")
    return [f"Received {message!r} from {peer!r}", f"Send: {message!r}",
            "Close the client socket"]


async def echo_exchange(port, payload):
    """asyncio's tcp_echo_client, returning what came back and our address
    (the server's peername)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), STEP_TIMEOUT)
    try:
        host, local_port = writer.get_extra_info("sockname")[:2]
        writer.write(payload)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(100), STEP_TIMEOUT)
        rest = await asyncio.wait_for(reader.read(), STEP_TIMEOUT)  # server closes
    finally:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), STEP_TIMEOUT)
    return data + rest, f"{host}:{local_port}"


def case_python_client(server):
    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        for payload in PAYLOADS:
            echoed, peer = asyncio.run(echo_exchange(srv.port, payload))
            check_equal(echoed, payload, "the bytes echoed to an asyncio client")
            check_equal(srv.next_lines(3), expected_server_lines(payload, peer),
                        f"tcp_echo_server lines for {payload!r}")
        check_equal(srv.stop(), 0, "tcp_echo_server exit status after SIGTERM")
        check_equal(srv.stderr(), "", "tcp_echo_server stderr")


def case_python_clients_concurrent(server):
    payloads = [f"client {i}: {'.' * i}".encode() for i in range(16)]

    async def all_clients(port):
        return await asyncio.gather(*(echo_exchange(port, p) for p in payloads))

    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        results = asyncio.run(all_clients(srv.port))
        expected = collections.Counter()
        for payload, (echoed, peer) in zip(payloads, results):
            check_equal(echoed, payload, "the bytes echoed to a concurrent client")
            expected.update(expected_server_lines(payload, peer))
        lines = srv.next_lines(3 * len(payloads))
        check_equal(collections.Counter(lines), expected,
                    "tcp_echo_server lines (in any order across clients)")
        check_equal(srv.stop(), 0, "tcp_echo_server exit status")


def case_python_idle_client(server):
    async def scenario(port):
        idle_reader, idle_writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), STEP_TIMEOUT)
        try:
            # While the first client's handler waits for its data, others
            # are served in full.
            others = await asyncio.wait_for(
                asyncio.gather(*(echo_exchange(port, f"busy {i}".encode())
                                 for i in range(4))), STEP_TIMEOUT)
            idle_writer.write(b"late but served")
            await idle_writer.drain()
            late = await asyncio.wait_for(idle_reader.read(), STEP_TIMEOUT)
        finally:
            idle_writer.close()
            await asyncio.wait_for(idle_writer.wait_closed(), STEP_TIMEOUT)
        return others, late

    with Server([server, "--host", "127.0.0.1", "--port", "0"]) as srv:
        others, late = asyncio.run(scenario(srv.port))
        expected = collections.Counter()
        for i, (echoed, peer) in enumerate(others):
            check_equal(echoed, f"busy {i}".encode(), "a busy client's echo")
            expected.update(expected_server_lines(f"busy {i}".encode(), peer))
        check_equal(collections.Counter(srv.next_lines(3 * len(others))), expected,
                    "tcp_echo_server lines for the busy clients")
        check_equal(late, b"late but served", "the idle client's own echo")
        lines = srv.next_lines(3)
        check(lines[0].startswith("Received 'late but served' from "),
              f"the idle client's line: {lines[0]!r}")
        check_equal(srv.stop(), 0, "tcp_echo_server exit status")
        check_equal(srv.stderr(), "", "tcp_echo_server stderr")


def case_python_server(client):
    received = []

    # asyncio's documentation example, recording instead of printing.
    async def handle_echo(reader, writer):
        data = await reader.read(100)
        received.append(data)
        message = data.decode()
        addr = writer.get_extra_info('peername')
        print(f"python server: Received {message!r} from {addr!r}")
        writer.write(data)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def run_client(port, extra):
        proc = await asyncio.create_subprocess_exec(
            client, "--host", "127.0.0.1", "--port", str(port), *extra,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), STEP_TIMEOUT)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        return proc.returncode, out.decode(), err.decode()

    async def scenario():
        server = await asyncio.start_server(handle_echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            for message in [None, "It's a test", 'tab\t"quotes" ünï 🙂']:
                received.clear()
                extra = [] if message is None else ["--message", message]
                expect = "Hello World!" if message is None else message
                rc, out, err = await run_client(port, extra)
                check_equal(rc, 0, f"tcp_echo_client exit status (stderr {err!r})")
                check_equal(out.splitlines(),
                            [f"Send: {expect!r}", f"Received: {expect!r}",
                             "Close the socket"], "tcp_echo_client output")
                check_equal(err, "", "tcp_echo_client stderr")
                check_equal(received, [expect.encode()],
                            "what the asyncio server received")
            server.close()
            await asyncio.wait_for(server.wait_closed(), STEP_TIMEOUT)

    asyncio.run(scenario())


def case_python_http_server(client):
    with temp_dir() as root:
        with open(f"{root}/hello.txt", "w") as f:
            f.write("hello\n")
        args = [python_executable(), "-u", "-m", "http.server", "--bind",
                "127.0.0.1", "--directory", root, "0"]
        with Server(args, ready=r"^Serving HTTP on 127\.0\.0\.1 port (\d+) ",
                    cwd=root) as srv:
            for path, status in [("/", "200 OK"), ("/hello.txt", "200 OK"),
                                 ("/missing", "404 ")]:
                result = run([client, f"http://127.0.0.1:{srv.port}{path}"])
                check_equal(result.returncode, 0,
                            f"{path}: exit status (stderr {result.stderr!r})")
                lines = result.stdout.splitlines()
                check(lines and lines[0].startswith(f"HTTP header> HTTP/1.0 {status}"),
                      f"{path}: first line is not the status line: {lines!r}")
                check(all(line.startswith("HTTP header> ") for line in lines),
                      f"{path}: every line is an 'HTTP header> ' line: {lines!r}")
                check(any(re.match(r"^HTTP header> Server: \S", l) for l in lines),
                      f"{path}: no Server header in {lines!r}")
                if path == "/hello.txt":
                    check("HTTP header> Content-Length: 6" in lines,
                          f"no Content-Length: 6 in {lines!r}")
            srv.stop(signal.SIGTERM)  # http.server dies of it; no status to check


if __name__ == "__main__":
    main({
        "python_client": case_python_client,
        "python_clients_concurrent": case_python_clients_concurrent,
        "python_idle_client": case_python_idle_client,
        "python_server": case_python_server,
        "python_http_server": case_python_http_server,
    })
