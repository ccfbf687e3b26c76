#!/usr/bin/env python3
"""A client sends its data, half-closes (shutdown(SHUT_WR)) and reads until
EOF: echo_server echoes everything, then closes. In read mode with 1 MiB of
bytes; in line mode with many lines of varied length, the last one without
its newline (readline returns it at EOF).

usage: half_close_test.py PATH/TO/echo_server
"""

import array

from echo_support import EchoServer, check, describe_difference, exchange, run


def raw_payload():
    # 1 MiB of distinct 32-bit counters.
    return array.array("I", range(1 << 18)).tobytes()


def line_payload():
    lines = [b"line %06d " % i + b"x" * (i * 7 % 200) + b"\n" for i in range(20000)]
    return b"".join(lines) + b"a last line without its newline"


def main(binary):
    for mode, payload in (("read", raw_payload()), ("line", line_payload())):
        with EchoServer(binary, "--mode", mode) as server:
            with server.connect() as sock:
                echo = exchange(sock, payload)
            check(echo == payload,
                  f"{mode} mode: wrong echo: " + describe_difference(echo, payload))
            print(f"{mode} mode: {len(payload)} bytes echoed, then EOF", flush=True)


if __name__ == "__main__":
    run(main)
