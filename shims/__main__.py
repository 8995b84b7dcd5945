"""``python -m shims upgrade PATH...`` and ``python -m shims run SCRIPT [ARGS...]``.

Also the console script ``shims`` (pyproject.toml's ``[project.scripts]``), which calls
``sys.exit(main())``: :func:`main` returns the exit status.

The subcommands live in :mod:`shims.upgrade`; they need LibCST, which the rest of ``shims`` (the
adapters the legacy variants import) does not, so it is imported only here, when asked for.
"""
from __future__ import annotations

import sys
from typing import List, Optional

USAGE = """usage: python -m shims upgrade [--write | --check] [--format json] PATH...
           rewrite 2017-2018 torch/TF1 idioms (a diff by default)
       python -m shims run SCRIPT [ARGS...]
           run an old script unmodified on today's torch and TensorFlow
       python -m shims verify [OPTIONS] SCRIPT [ARGS...]
           run it as written on an old torch and upgraded on a new one; compare the numbers,
           explain each difference (python -m shims verify --help)

PATH and SCRIPT may be Jupyter notebooks (.ipynb); a folder gives its *.py and *.ipynb.
--format json: the report as JSON on stdout (per file: path, changed, findings), no diff.
Installed (pip install .), the same commands are `shims upgrade ...`, `shims run ...`, `shims verify ...`.

exit status: 0 ok; 1 under --check when something would change (run: the script failed;
             verify: a side failed, or a difference is unexplained or not proven);
             2 bad input (a syntax error, a path that is not there, bad notebook JSON, LibCST missing)"""


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in ("upgrade", "run", "verify"):
        print(f"python -m shims: unknown command {command!r}\n{USAGE}", file=sys.stderr)
        return 2
    try:
        import libcst  # noqa: F401  (checked here so that the message names the command)
    except ImportError:
        print(f"python -m shims {command} needs LibCST: pip install libcst", file=sys.stderr)
        return 2
    if command == "upgrade":
        from shims.upgrade.cli import main as upgrade_main

        return upgrade_main(rest)
    if command == "verify":
        from shims.verify.cli import main as verify_main

        return verify_main(rest)
    from shims.upgrade.run import main as run_main

    return run_main(rest)


if __name__ == "__main__":
    sys.exit(main())
