#!/usr/bin/env python3
"""20 clients each send half a line to echo_server (line mode) and reset the
connection (SO_LINGER {1, 0} + close); then a normal client sends 3 lines
and gets exactly those 3 lines back. The server stays alive and closes the
reset connections (its socket count returns to what it was).

usage: resets_test.py PATH/TO/echo_server
"""

import socket
import struct
import time

from echo_support import EchoServer, check, describe_difference, exchange, run

CLIENTS = 20


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def main(binary):
    with EchoServer(binary, "--mode", "line") as server:
        baseline = server.open_sockets()
        clients = [server.connect() for _ in range(CLIENTS)]
        for i, sock in enumerate(clients):
            sock.sendall(b"half a line from client %d, no newline" % i)
        time.sleep(0.2)  # let the server read the halves before the resets
        for sock in clients:
            reset(sock)

        # The reset connections' actors close their sockets.
        deadline = time.monotonic() + 10
        while server.open_sockets() > baseline and time.monotonic() < deadline:
            time.sleep(0.05)
        check(server.open_sockets() == baseline,
              f"the server still holds {server.open_sockets() - baseline} of the "
              f"{CLIENTS} reset connections after 10 s")
        check(server.alive(), "the server died after the resets")

        lines = b"first line\nsecond line\nthird line\n"
        with server.connect() as sock:
            echo = exchange(sock, lines)
        check(echo == lines, "wrong echo after the resets: " + describe_difference(echo, lines))
        check(server.alive(), "the server died")
        print(f"{CLIENTS} resets survived; the next client got its 3 lines back", flush=True)


if __name__ == "__main__":
    run(main)
