"""Generate the docs/ pages (compat-matrix, migration, performance, coverage) and docs/img/*.png.

    python docs/generate.py                     # from matrix/catalog.toml, results/*.json, variants/,
                                                # results/bench/performance.json (nox -s bench) and
                                                # results/upstream/events.json (python -m matrix.upstream)
    python docs/generate.py --results tests/fixtures/results --out /tmp/docs

The command line only: the pages are written by :mod:`matrix.pages` (see its docstring for the inputs
and why the output is deterministic), from what :mod:`matrix.records.observations` and
:mod:`matrix.records.divergence` derive from the records.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matrix.pages import generate  # noqa: E402


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--variants", type=Path, default=ROOT / "variants")
    parser.add_argument("--no-png", action="store_true", help="skip drawing (manifest and markdown only)")
    parser.add_argument("--repo-link", default="../",
                        help="how the pages reach the repository's files from --out (default ../, as from docs/)")
    parser.add_argument("--bench", type=Path, default=None,
                        help="the bench record performance.md is rendered from (default RESULTS/bench/performance.json)")
    args = parser.parse_args(argv)
    for path in generate(args.results, args.out, args.variants, draw_png=not args.no_png,
                         repo_link=args.repo_link, bench=args.bench).values():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
