#!/usr/bin/env python3
"""echo_server --mode line --limit 16 drops a line over the limit and goes
on: "short\n" + 100 x "x" + "\n" + "after\n" echoes exactly
"short\nafter\n", whether the input arrives at once or in small pieces (the
long line's tail arrives after readline already failed).

usage: line_overrun_test.py PATH/TO/echo_server
"""

import socket
import time

from echo_support import EchoServer, check, describe_difference, exchange, run

SENT = b"short\n" + b"x" * 100 + b"\n" + b"after\n"
WANT = b"short\nafter\n"


def dribble(sock, data, piece=7):
    """Sends `data` in small pieces with pauses, then half-closes; returns the
    echo."""
    for i in range(0, len(data), piece):
        sock.sendall(data[i:i + piece])
        time.sleep(0.01)
    sock.shutdown(socket.SHUT_WR)
    echo = bytearray()
    while chunk := sock.recv(4096):
        echo += chunk
    return bytes(echo)


def main(binary):
    with EchoServer(binary, "--mode", "line", "--limit", "16") as server:
        with server.connect() as sock:
            echo = exchange(sock, SENT)
        check(echo == WANT, "at once: " + describe_difference(echo, WANT))
        with server.connect() as sock:
            echo = dribble(sock, SENT)
        check(echo == WANT, "in pieces: " + describe_difference(echo, WANT))
        print(f"sent {SENT!r}, got {echo!r}", flush=True)


if __name__ == "__main__":
    run(main)
