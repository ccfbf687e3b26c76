#!/usr/bin/env python3
"""print_http_headers (either style, coroutine or *_actor) and http_server:
exact output against the project's own server, the exact request bytes and
line handling against a scripted server, errors, and http_server answering
an ordinary HTTP client.

Usage: test_http.py <http_server> <print_http_headers> <case>
"""

import http.client
import re
import socket
import threading

from demo_support import RefusedPort, Server, check, check_equal, main, run

DATE = re.compile(r"^HTTP header> Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$")


def server_args(server):
    return [server, "--host", "127.0.0.1", "--port", "0"]


def case_headers(server, client):
    with Server(server_args(server)) as srv:
        result = run([client, f"http://127.0.0.1:{srv.port}/"])
        check_equal(result.returncode, 0, f"exit status (stderr {result.stderr!r})")
        check_equal(result.stderr, "", "stderr")
        lines = result.stdout.splitlines()
        check_equal(len(lines), 6, f"number of lines in {lines!r}")
        check(DATE.match(lines[4]), f"bad Date line {lines[4]!r}")
        check_equal(lines[:4] + lines[5:], [
            "HTTP header> HTTP/1.0 200 OK",
            "HTTP header> Content-Type: text/plain",
            "HTTP header> Content-Length: 12",
            "HTTP header> Server: actorstreams-demo",
            "HTTP header> Connection: close",
        ], "print_http_headers output")
        log = srv.next_line()
        check(re.match(r"^Request from 127\.0\.0\.1:\d+: 'HEAD / HTTP/1\.0' 200$", log),
              f"unexpected server log line {log!r}")
        check_equal(srv.stop(), 0, "http_server exit status after SIGTERM")
        check_equal(srv.stderr(), "", "http_server stderr")


def case_path(server, client):
    with Server(server_args(server)) as srv:
        for url_path, request_target in [("", "/"), ("/a/b.txt", "/a/b.txt"),
                                         ("/search?q=1&r=2#frag", "/search?q=1&r=2"),
                                         ("?x=1", "/?x=1")]:
            result = run([client, f"http://127.0.0.1:{srv.port}{url_path}"])
            check_equal(result.returncode, 0, f"exit status for {url_path!r}")
            check_equal(result.stdout.splitlines()[0], "HTTP header> HTTP/1.0 200 OK",
                        f"status line for {url_path!r}")
            log = srv.next_line()
            check(log.endswith(f": 'HEAD {request_target} HTTP/1.0' 200"),
                  f"server saw the wrong target for {url_path!r}: {log!r}")
        check_equal(srv.stop(), 0, "http_server exit status")


class ScriptedServer:
    """One connection on 127.0.0.1:0: records the request head, sends
    `response`, closes."""

    def __init__(self, response):
        self.response = response
        self.request = b""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(20)
        self.port = self.sock.getsockname()[1]
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()
        self.thread.join(timeout=20)
        return False

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(20)
                while b"\r\n\r\n" not in self.request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    self.request += chunk
                conn.sendall(self.response)
        except OSError as err:
            self.error = err


def case_request_and_lines(server, client):
    # Lines as asyncio's example treats them: decoded as Latin-1,
    # right-stripped, empty ones skipped, the last one without "\n" kept.
    response = (b"HTTP/1.0 200 OK  \r\n"
                b"X-Trailing: spaces and tab \t\r\n"
                b"X-Latin1: caf\xe9\r\n"
                b"X-Bare-LF: yes\n"
                b"\r\n"
                b"   \r\n"
                b"body line\r\n"
                b"last line without newline")
    with ScriptedServer(response) as peer:
        result = run([client, f"http://127.0.0.1:{peer.port}/index.html?x=1"])
    check(peer.error is None, f"scripted server failed: {peer.error}")
    check_equal(peer.request,
                b"HEAD /index.html?x=1 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
                "the request print_http_headers sends")
    check_equal(result.returncode, 0, f"exit status (stderr {result.stderr!r})")
    check_equal(result.stdout.splitlines(), [
        "HTTP header> HTTP/1.0 200 OK",
        "HTTP header> X-Trailing: spaces and tab",
        "HTTP header> X-Latin1: café",
        "HTTP header> X-Bare-LF: yes",
        "HTTP header> body line",
        "HTTP header> last line without newline",
    ], "print_http_headers output")


def case_client_errors(server, client):
    with RefusedPort() as refused:
        cases = [(f"https://127.0.0.1:{refused}/", "cannot connect"),
                 ("ftp://127.0.0.1/", "ftp"),
                 ("not-a-url", "not an absolute URL"),
                 ("http:///path", "no host"),
                 ("http://127.0.0.1:99999/", "port"),
                 (f"http://127.0.0.1:{refused}/", "cannot connect")]
        results = [(url, needle, run([client, url])) for url, needle in cases]
    for url, needle, result in results:
        check(result.returncode != 0, f"{url}: must exit non-zero")
        check_equal(result.stdout, "", f"{url}: stdout")
        check(needle in result.stderr, f"{url}: stderr {result.stderr!r} lacks {needle!r}")
    result = run([client])
    check(result.returncode != 0 and "usage" in result.stderr, "no URL: usage, non-zero")


def case_server_answers_http_client(server, client):
    with Server(server_args(server)) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
        try:
            conn.request("GET", "/any/path")
            resp = conn.getresponse()
            check_equal(resp.status, 200, "GET status")
            check_equal(resp.getheader("Content-Type"), "text/plain", "Content-Type")
            check_equal(resp.getheader("Server"), "actorstreams-demo", "Server")
            check_equal(resp.read(), b"Test message", "GET body")
        finally:
            conn.close()
        check(srv.next_line().endswith(": 'GET /any/path HTTP/1.1' 200"), "GET log line")
        # Other methods and malformed requests, over a raw socket.
        for request, status in [(b"BREW / HTTP/1.0\r\n\r\n", b"501"),
                                (b"nonsense\r\n\r\n", b"400"),
                                (b"\r\nGET / HTTP/1.0\nX: y\n\n", b"200")]:
            with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as s:
                s.sendall(request)
                reply = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            check(reply.startswith(b"HTTP/1.0 " + status + b" "),
                  f"{request!r}: unexpected reply {reply!r}")
            srv.next_line()
        check_equal(srv.stop(), 0, "http_server exit status")
        check_equal(srv.stderr(), "", "http_server stderr")


def read_to_end(sock):
    reply = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return reply
        reply += chunk


def case_slowloris(server, client):
    """A client that sends its head one line at a time, slowly, gets 408
    once the head timeout passes; one that goes silent is cut off by the
    connection's idle timeout; a normal client is served all along."""
    import time
    args = server_args(server) + ["--head-timeout", "0.6", "--idle-timeout", "0.3"]
    with Server(args) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as slow:
            start = time.monotonic()
            slow.sendall(b"GET / HTTP/1.0\r\n")
            reply = b""
            for i in range(40):  # a header line every 0.1 s: never idle
                time.sleep(0.1)
                try:
                    slow.sendall(b"X-Slow-%d: y\r\n" % i)
                except OSError:
                    break  # cut off
                # A normal client meanwhile.
                if i == 2:
                    fast = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
                    fast.request("GET", "/")
                    check_equal(fast.getresponse().status, 200, "a normal client's status")
                    fast.close()
                    check(srv.next_line().endswith(": 'GET / HTTP/1.1' 200"), "normal log line")
            slow.settimeout(5)
            try:
                reply = read_to_end(slow)
            except ConnectionResetError:
                pass
            elapsed = time.monotonic() - start
        check(reply.startswith(b"HTTP/1.0 408 Request Timeout\r\n"),
              f"slowloris reply {reply!r}")
        check(0.5 <= elapsed < 3, f"the head timeout took {elapsed:.2f} s")
        check(srv.next_line().endswith(": 'GET / HTTP/1.0' 408"), "408 log line")
        with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as silent:
            start = time.monotonic()
            silent.sendall(b"GET / HT")
            silent.settimeout(5)
            try:
                reply = read_to_end(silent)
            except ConnectionResetError:
                reply = b""
            elapsed = time.monotonic() - start
        check_equal(reply, b"", "a silent client gets no answer")
        check(0.25 <= elapsed < 3, f"the idle timeout took {elapsed:.2f} s")
        check_equal(srv.stop(), 0, "http_server exit status")


if __name__ == "__main__":
    main({
        "slowloris": case_slowloris,
        "headers": case_headers,
        "path": case_path,
        "request_and_lines": case_request_and_lines,
        "client_errors": case_client_errors,
        "server_answers_http_client": case_server_answers_http_client,
    })
