"""The command line of :mod:`matrix.upstream` (see its docstring)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from matrix.upstream.releases import RELEASES


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix.upstream", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    mine_cmd = sub.add_parser("mine", help="install each release into a throwaway venv and record it")
    mine_cmd.add_argument("--release", action="append", choices=RELEASES, help="only this release (repeatable)")
    mine_cmd.add_argument("--redo", action="store_true", help="mine releases already recorded again")
    mine_cmd.add_argument("--out", type=Path, default=None, help="records folder (default results/upstream/releases)")
    mine_cmd.add_argument("--workdir", type=Path, default=None, help="where the temporary venvs go (default: TMPDIR)")
    sweep_cmd = sub.add_parser("sweep", help="run the catalog's probes on each release, in a throwaway venv")
    for command in (sweep_cmd,):
        command.add_argument("--release", action="append", choices=RELEASES, help="only this release (repeatable)")
        command.add_argument("--redo", action="store_true", help="releases already recorded again")
        command.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
        command.add_argument("--workdir", type=Path, default=None, help="where the temporary venvs go")
    sub.add_parser("events", help="diff the records into results/upstream/events.json")
    args = parser.parse_args(argv)
    if args.command in ("mine", "sweep"):
        from matrix.upstream import mine
        steps = ("extract",) if args.command == "mine" else ("probes",)
        return mine.mine(args.release or RELEASES, args.out or mine.RECORDS, sys.stdout, args.redo, args.workdir,
                         steps)
    from matrix.upstream import events
    path = events.write_events()
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
