#!/usr/bin/env python3
"""HTTPS with the demos (either style of print_http_headers) and real TLS
peers: http_server with a certificate, Python's ssl (asyncio and
http.server), `openssl s_client`. Certificates are made at test time with
the openssl command (make deps installs it); without it the cases fail
loudly.

Usage: test_https.py <http_server> <print_http_headers> <case>
"""

import asyncio
import os
import re
import shutil
import ssl
import subprocess

from demo_support import (STEP_TIMEOUT, Server, check, check_equal, main,
                          python_executable, run, temp_dir)

DATE = re.compile(r"^HTTP header> Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$")


def make_cert(directory, name, cn, san):
    """A self-signed certificate and key for `san`; returns their paths."""
    check(shutil.which("openssl") is not None,
          "the openssl command is missing (make deps installs it)")
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", f"/CN={cn}",
                    "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True, timeout=STEP_TIMEOUT)
    return cert, key


def localhost_cert(directory):
    return make_cert(directory, "localhost", "localhost",
                     "DNS:localhost,IP:127.0.0.1")


def tls_server(server, cert, key):
    return Server([server, "--host", "127.0.0.1", "--port", "0",
                   "--tls-cert", cert, "--tls-key", key])


def case_headers(server, client):
    with temp_dir() as d:
        cert, key = localhost_cert(d)
        with tls_server(server, cert, key) as srv:
            result = run([client, "--cafile", cert,
                          f"https://localhost:{srv.port}/"])
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
            ], "print_http_headers output over https")
            log = srv.next_line()
            check(re.match(r"^Request from 127\.0\.0\.1:\d+: 'HEAD / HTTP/1\.0' 200$", log),
                  f"unexpected server log line {log!r}")
            check_equal(srv.stop(), 0, "http_server exit status")
            check_equal(srv.stderr(), "", "http_server stderr")


def case_refusals(server, client):
    with temp_dir() as d:
        cert, key = localhost_cert(d)
        other, other_key = make_cert(d, "other", "other.example",
                                     "DNS:other.example")
        with tls_server(server, cert, key) as srv, \
                tls_server(server, other, other_key) as wrong:
            # Not trusted: only the system's CAs.
            result = run([client, f"https://localhost:{srv.port}/"])
            check(result.returncode != 0, "an untrusted certificate must fail")
            check_equal(result.stdout, "", "no headers from an untrusted server")
            check("certificate verify failed" in result.stderr
                  and "self-signed certificate" in result.stderr,
                  f"stderr does not say why: {result.stderr!r}")
            # Trusted, but for another name.
            result = run([client, "--cafile", other,
                          f"https://localhost:{wrong.port}/"])
            check(result.returncode != 0, "a wrong name must fail")
            check("hostname mismatch" in result.stderr,
                  f"stderr does not say why: {result.stderr!r}")
            # A CA file that is not there.
            result = run([client, "--cafile", os.path.join(d, "missing.pem"),
                          f"https://localhost:{srv.port}/"])
            check_equal(result.returncode, 2, "exit status for a missing CA file")
            check("missing.pem" in result.stderr, f"stderr: {result.stderr!r}")
            # A plaintext client on the TLS port gets no headers (the server
            # closes it, as asyncio's example would see) and costs the
            # server nothing.
            result = run([client, f"http://127.0.0.1:{srv.port}/"])
            check_equal(result.stdout, "", "headers for a plaintext client")
            result = run([client, "--cafile", cert, f"https://localhost:{srv.port}/"])
            check_equal(result.returncode, 0, "served after the plaintext client")
            check_equal(srv.stop(), 0, "http_server exit status")


def case_python_https_server(server, client):
    with temp_dir() as d:
        cert, key = localhost_cert(d)
        with open(os.path.join(d, "hello.txt"), "w") as f:
            f.write("hello\n")
        script = (
            "import http.server, ssl, sys\n"
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
            f"ctx.load_cert_chain({cert!r}, {key!r})\n"
            "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0),"
            " http.server.SimpleHTTPRequestHandler)\n"
            "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
            "print('Serving HTTPS on 127.0.0.1 port', srv.server_address[1], flush=True)\n"
            "srv.serve_forever()\n")
        with Server([python_executable(), "-u", "-c", script],
                    ready=r"^Serving HTTPS on 127\.0\.0\.1 port (\d+)$", cwd=d) as srv:
            result = run([client, "--cafile", cert,
                          f"https://localhost:{srv.port}/hello.txt"])
            check_equal(result.returncode, 0, f"exit status (stderr {result.stderr!r})")
            lines = result.stdout.splitlines()
            check(lines and lines[0].startswith("HTTP header> HTTP/1.0 200 OK"),
                  f"first line is not the status line: {lines!r}")
            check("HTTP header> Content-Length: 6" in lines, f"no Content-Length in {lines!r}")


def case_python_ssl_client(server, client):
    with temp_dir() as d:
        cert, key = localhost_cert(d)

        async def fetch(port):
            ctx = ssl.create_default_context(cafile=cert)
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("localhost", port, ssl=ctx), STEP_TIMEOUT)
            writer.write(b"GET /from/python HTTP/1.0\r\nHost: localhost\r\n\r\n")
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), STEP_TIMEOUT)
            version = writer.get_extra_info("ssl_object").version()
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), STEP_TIMEOUT)
            except (ssl.SSLError, ConnectionError):
                pass  # the server closed first
            return data, version

        with tls_server(server, cert, key) as srv:
            data, version = asyncio.run(fetch(srv.port))
            check(data.startswith(b"HTTP/1.0 200 OK\r\n"), f"reply {data[:40]!r}")
            check(data.endswith(b"\r\n\r\nTest message"), f"reply {data[-40:]!r}")
            check_equal(version, "TLSv1.3", "the negotiated version")
            check(srv.next_line().endswith(": 'GET /from/python HTTP/1.0' 200"),
                  "the server logged the request")
            check_equal(srv.stop(), 0, "http_server exit status")


def case_openssl_s_client(server, client):
    with temp_dir() as d:
        cert, key = localhost_cert(d)
        check(shutil.which("openssl") is not None, "openssl is missing")
        with tls_server(server, cert, key) as srv:
            proc = subprocess.run(
                ["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}",
                 "-servername", "localhost", "-CAfile", cert,
                 "-verify_return_error", "-verify_hostname", "localhost",
                 "-quiet", "-ign_eof"],
                input=b"HEAD /via/s_client HTTP/1.0\r\n\r\n",
                capture_output=True, timeout=STEP_TIMEOUT)
            out = proc.stdout.decode("latin1")
            check(out.startswith("HTTP/1.0 200 OK\r\n"),
                  f"s_client got {out[:60]!r} (stderr {proc.stderr[-200:]!r})")
            check(srv.next_line().endswith(": 'HEAD /via/s_client HTTP/1.0' 200"),
                  "the server logged the request")
            check_equal(srv.stop(), 0, "http_server exit status")


if __name__ == "__main__":
    main({
        "headers": case_headers,
        "refusals": case_refusals,
        "python_https_server": case_python_https_server,
        "python_ssl_client": case_python_ssl_client,
        "openssl_s_client": case_openssl_s_client,
    })
