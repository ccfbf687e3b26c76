#!/usr/bin/env python3
"""The chat demo as separate processes on loopback: a room node and two
front nodes (CAF's middleman between them), clients over TCP.

Cases: every client hears every other client's lines exactly once and in
each sender's order (the demo's script, and many clients at once); the
room's commands and refusals; the room killed with SIGKILL mid-conversation:
the fronts close the clients it owned within the bound and keep accepting
(closing newcomers too), and still stop cleanly on SIGTERM.

Usage: test_chat.py <chat> <demos dir> <case>
"""

import os
import signal
import sys
import time

from demo_support import Server, check, check_equal, main

GRACE = 1.0        # --grace of the fronts, seconds
CLOSE_BOUND = 8.0  # grace + failure detection + slack


def room_node(chat):
    """The room node (a context manager)."""
    return Server([chat, "--role", "room", "--port", "0"])


def fronts(chat, room_port, grace=GRACE):
    """Two front nodes sharing the room (context managers)."""
    args = ["--role", "front", "--port", "0", "--room",
            f"127.0.0.1:{room_port}", "--grace", str(grace)]
    return Server([chat, *args]), Server([chat, *args])


def chat_module(demos_dir):
    sys.path.insert(0, demos_dir)
    import chat_clients
    return chat_clients


def conversation(chat, demos_dir):
    cc = chat_module(demos_dir)
    with room_node(chat) as room:
        a, b = fronts(chat, room.port)
        with a, b:
            heard = cc.converse(a.port, b.port, show=lambda _: None)
            check_equal(sorted(heard), ["alice", "bob", "carol"], "clients")
            # The room saw them come and go.
            lines = room.next_lines(6)
            check_equal(sorted(lines),
                        sorted(["guest1 joined", "guest2 joined",
                                "guest3 joined", "alice left", "bob left",
                                "carol left"]), "room log")
            for server in (a, b, room):
                check_equal(server.stop(signal.SIGTERM), 0, "exit status")


def many_clients(chat, demos_dir):
    cc = chat_module(demos_dir)
    count, said = 12, 4
    with room_node(chat) as room:
        a, b = fronts(chat, room.port)
        with a, b:
            clients = []
            try:
                for i in range(count):
                    c = cc.ChatClient(a.port if i % 2 == 0 else b.port)
                    c.join_as(f"user{i}")
                    clients.append(c)
                for i, c in enumerate(clients):
                    for n in range(said):
                        c.send(f"message {n} of user{i}")
                for i, c in enumerate(clients):
                    heard = c.chat_lines((count - 1) * said)
                    for j in range(count):
                        mine = [l for l in heard if l.startswith(f"user{j}: ")]
                        want = [] if j == i else [
                            f"user{j}: message {n} of user{j}"
                            for n in range(said)]
                        check_equal(mine, want, f"user{i} hearing user{j}")
            finally:
                for c in clients:
                    c.close()


def commands(chat, demos_dir):
    cc = chat_module(demos_dir)
    with room_node(chat) as room:
        a, b = fronts(chat, room.port)
        with a, b:
            x = cc.ChatClient(a.port)
            y = None
            try:
                x.join_as("xavier")
                y = cc.ChatClient(b.port)
                welcome = y.wait_for("* Welcome, ...")
                check("Here: xavier." in welcome, f"welcome: {welcome!r}")
                y.send("/nick xavier")
                y.wait_for("* The name xavier is taken")
                y.send("/nick bad name")
                y.wait_for("* a nickname is 1 to 32 letters, digits, '-' or '_'")
                y.send("/shout hi")
                y.wait_for("* unknown command /shout (there are /nick NAME "
                           "and /quit)")
                y.send("x" * 5000)  # over the front's 4096-byte line limit
                y.wait_for("* Your line was longer than 4096 bytes; it was "
                           "dropped")
                y.send("/nick yvonne")
                y.wait_for("* You are now yvonne")
                x.wait_for("* guest2 is now yvonne")
                y.send("still here")
                check_equal(x.chat_lines(1), ["yvonne: still here"],
                            "after the refusals")
            finally:
                x.close()
                if y is not None:
                    y.close()


def room_killed(chat, demos_dir):
    cc = chat_module(demos_dir)
    with room_node(chat) as room:
        a, b = fronts(chat, room.port)
        with a, b:
            check_equal(a.next_line(), f"Room at 127.0.0.1:{room.port}",
                        "front A")
            check_equal(b.next_line(), f"Room at 127.0.0.1:{room.port}",
                        "front B")
            x = cc.ChatClient(a.port)
            y = cc.ChatClient(b.port)
            try:
                x.join_as("xena")
                y.join_as("yuri")
                x.send("before the crash")
                check_equal(y.chat_lines(1), ["xena: before the crash"],
                            "a line before")
                killed = time.monotonic()
                os.kill(room.proc.pid, signal.SIGKILL)
                room.proc.wait(timeout=5)
                for c, name in ((x, "xena"), (y, "yuri")):
                    check(c.wait_closed(CLOSE_BOUND),
                          f"{name}'s socket is still open "
                          f"{time.monotonic() - killed:.1f}s after the room died")
                took = time.monotonic() - killed
                check(took < CLOSE_BOUND, f"closing took {took:.1f}s")
                for front in (a, b):
                    line = front.next_line(CLOSE_BOUND)
                    check(line.startswith(f"Room at 127.0.0.1:{room.port} "
                                          "is lost"), f"front said {line!r}")
                # The fronts still accept, and close a newcomer as well: the
                # room that would own it is gone.
                late = cc.ChatClient(a.port)
                try:
                    check(late.wait_closed(CLOSE_BOUND),
                          "a newcomer stays open with no room")
                finally:
                    late.close()
                for front in (a, b):
                    check_equal(front.stop(signal.SIGTERM), 0,
                                "a front's exit status")
            finally:
                x.close()
                y.close()


if __name__ == "__main__":
    main({"conversation": conversation, "many_clients": many_clients,
          "commands": commands, "room_killed": room_killed})
