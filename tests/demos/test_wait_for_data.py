#!/usr/bin/env python3
"""wait_for_data: exactly "Received: abc", exit 0, nothing on stderr.

Usage: test_wait_for_data.py <wait_for_data> <case>
"""

from demo_support import check_equal, main, run


def case_output(demo):
    for _ in range(3):  # a few runs: the send races the read on purpose
        result = run([demo])
        check_equal(result.returncode, 0, f"exit status (stderr {result.stderr!r})")
        check_equal(result.stdout.splitlines(), ["Received: abc"], "wait_for_data output")
        check_equal(result.stderr, "", "wait_for_data stderr")


if __name__ == "__main__":
    main({"output": case_output})
