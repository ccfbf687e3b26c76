#!/usr/bin/env python3
"""Scripted chat clients for the chat demo (make demo): alice and carol on
one front, bob on another, all in one room on a third node. Each names
itself, says two lines, and prints what the others said, then leaves.

Usage: chat_clients.py <front A port> <front B port>
Exits 1 if a line is missing, doubled or out of its sender's order.
Python 3 standard library only; every wait is bounded.
"""

import socket
import sys
import time

TIMEOUT = 15.0


class ChatClient:
    """One TCP client of a front: line-based, every read bounded."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buf = b""
        self.seen = []  # every line received, in order

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def read_line(self, timeout=TIMEOUT):
        """The next line (without "\\n"), or None at EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no line within {timeout}s; got {self.seen!r}")
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode()
        self.seen.append(text)
        return text

    def wait_for(self, wanted, timeout=TIMEOUT):
        """Reads until a line equal to `wanted` (or starting with it, if it
        ends with '...'); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.read_line(max(0.1, deadline - time.monotonic()))
            if line is None:
                raise EOFError(f"closed before {wanted!r}; got {self.seen!r}")
            if line == wanted or (wanted.endswith("...")
                                  and line.startswith(wanted[:-3])):
                return line

    def join_as(self, nick):
        self.wait_for("* Welcome, ...")
        self.send(f"/nick {nick}")
        self.wait_for(f"* You are now {nick}")
        self.nick = nick

    def chat_lines(self, count, timeout=TIMEOUT):
        """The next `count` lines that others said ("nick: text")."""
        said = []
        deadline = time.monotonic() + timeout
        while len(said) < count:
            line = self.read_line(max(0.1, deadline - time.monotonic()))
            if line is None:
                raise EOFError(f"closed after {said!r}")
            if not line.startswith("* "):
                said.append(line)
        return said

    def wait_closed(self, timeout=TIMEOUT):
        """True once the front closed the socket (EOF or reset)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                if not self.sock.recv(4096):
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


SCRIPT = {
    "alice": ["hello from alice", "alice signing off"],
    "bob": ["hi, bob here", "bye from bob"],
    "carol": ["carol says hi", "carol is done"],
}


def converse(front_a, front_b, show=print):
    """Runs the conversation; returns {nick: [lines heard]}; raises if a
    line is missing, doubled or out of order."""
    clients = {}
    try:
        for nick, port in (("alice", front_a), ("bob", front_b),
                           ("carol", front_a)):
            c = ChatClient(port)
            c.join_as(nick)
            clients[nick] = c
            show(f"{nick} joined through the front on port {port}")
        for nick, lines in SCRIPT.items():
            for line in lines:
                clients[nick].send(line)
        heard = {}
        for nick, c in clients.items():
            others = [f"{o}: {l}" for o, ls in SCRIPT.items() if o != nick
                      for l in ls]
            heard[nick] = c.chat_lines(len(others))
            for line in heard[nick]:
                show(f"  {nick} hears  {line}")
            # Exactly once each, in each sender's order.
            if sorted(heard[nick]) != sorted(others):
                raise AssertionError(f"{nick} heard {heard[nick]!r}, "
                                     f"wanted {others!r} in some order")
            for o in SCRIPT:
                mine = [l for l in heard[nick] if l.startswith(o + ": ")]
                if mine != [f"{o}: {l}" for l in SCRIPT[o]] and o != nick:
                    raise AssertionError(f"{nick} heard {o} out of order: {mine!r}")
        for nick, c in clients.items():
            c.send("/quit")
            c.wait_for("* Bye")
            if not c.wait_closed():
                raise AssertionError(f"{nick}: the front did not close after /quit")
        return heard
    finally:
        for c in clients.values():
            c.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        converse(int(sys.argv[1]), int(sys.argv[2]))
    except Exception as err:  # a clear one-line reason, exit 1
        print(f"chat_clients: FAILED: {err}", file=sys.stderr)
        sys.exit(1)
    print("every client heard every other line exactly once, in order")
