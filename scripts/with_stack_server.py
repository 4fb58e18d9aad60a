"""Run a command against a Redis server: the one given by --url, or an embedded Redis Stack.

Usage: with_stack_server.py [--url URL] -- COMMAND ARG...   (``{url}`` in ARGs is replaced)

Without --url an embedded Redis Stack 7.4.1 with its modules starts on a free loopback port for
the duration of the command and is stopped afterwards, whatever the command's outcome.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from redis_oxide.testing import start_stack_server


def _run(command: list[str], url: str) -> int:
    return subprocess.call([part.replace("{url}", url) for part in command])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="use this server instead of an embedded one")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    command = [part for part in options.command if part != "--"] if options.command else []
    if not command:
        parser.error("a command is required after --")
    if options.url:
        return _run(command, options.url)
    with start_stack_server() as server:
        return _run(command, server.url)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
