"""The `dockyard` console script. `validate` first asks whether the same repo, command line and
Dockyard were judged before (verdicts.py) and replays that verdict without loading the command
line's modules; everything else, and a validate with no verdict to replay, runs `dockyard.cli`."""

from __future__ import annotations

import sys


def main() -> None:
    arguments = sys.argv[1:]
    memo = None
    if arguments[:1] == ["validate"]:
        from dockyard.verdicts import Memo

        memo = Memo.of(arguments[1:])
        if memo is not None:
            code = memo.replay()
            if code is not None:
                sys.exit(code)
            memo.record()
    code = 70
    try:
        from dockyard.cli import main as run

        run()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        raise
    finally:
        if memo is not None:
            memo.finish(code)


if __name__ == "__main__":
    main()
