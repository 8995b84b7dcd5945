"""The version matrix: run every variant against pinned torch releases and record what happened.

``noxfile.py`` declares the matrix (eras x torch pins x devices); this package does the work, in four
wings, one folder each:

- **Running the matrix**, :mod:`matrix.running`: a nox session step by step (``session``), one nox
  run and its end-of-run summary (``run``), one cell in its own process (``cell``) and its in-process
  wrapper (``trace``), the warm parent (``warm``), session options (``options``), finding a pin's
  Python (``interpreters``), what is installed (``environment``). :mod:`matrix.launch` (how a cell's
  process starts: spawned, or forked from a warm parent) stays at the top: docs/performance.md links
  to it by that path.
- **The facts**, :mod:`matrix.facts`: the catalog of changes (``catalog``, reading matrix/catalog.toml),
  the expected failures and the verdict on a session's cells (``expected``, reading
  matrix/expected.toml), the torch pins and why each (``pins``, data only), the catalog's snippets run
  (``snippets``, ``python -m matrix.facts.snippets [--python OTHER]``), the one TOML reader (``tomlio``).
  The probes, one per catalog change (:mod:`matrix.probes`, ``python -m matrix.probes``), stay at the
  top: the catalog and docs/migration.md name them by that path.
- **The records and their analysis**, :mod:`matrix.records`: the keys of each record (``schema``),
  where records go and the summary table (``results``, ``python -m matrix.records.results``), what
  needs attention (``summary``), a run against the reference (``compare``), probe results as
  observations and the first pin that warns or fails (``observations``), loss curves that differ
  between pins and the change that explains each (``divergence``), the one atomic JSON writer
  (``jsonio``).
- **The pages, the bench and CI**: :mod:`matrix.pages` (docs/*.md and the figures, ``python
  docs/generate.py``), :mod:`matrix.bench` (what a step costs, ``nox -s bench``), :mod:`matrix.ci`
  (the GitHub Actions workflow, ``python -m matrix.ci.workflow [--check]``).

Code here that runs *inside* a matrix cell (:mod:`matrix.running.trace`, :mod:`matrix.running.warm`,
:mod:`matrix.probes`, :mod:`matrix.records.jsonio`, the packages above them, the describe snippet in
:mod:`matrix.running.environment`) must run on Python 3.7+ with the standard library only (the probes
also import torch, numpy and tensorflow); tests/test_matrix_cell.py checks it.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERAS = ("legacy", "tensor_autograd", "modern")
EXAMPLES = (
    "numpy_warmup",
    "tensors",
    "autograd",
    "custom_function",
    "tf_static_graph",
    "nn",
    "optim",
    "custom_module",
    "dynamic_net",
)
#: Cell statuses (contract, :mod:`matrix.running.cell`): "not_run" is never counted as passed, nor are the
#: runs whose numbers can't be trusted ("diverged": a nan or inf loss; "nondeterministic": two runs
#: with the same seed printed other losses).
STATUSES = ("passed", "passed_with_warnings", "failed", "crashed", "diverged", "nondeterministic", "not_run")
PASSING = ("passed", "passed_with_warnings")
#: The script broke: an exception, an exit status, a signal, the timeout.
FAILING = ("failed", "crashed")
#: The script ran to the end, but its losses are no result: they blew up, or they are not reproducible.
UNTRUSTED = ("diverged", "nondeterministic")
#: Everything that ran and did not pass: a cell expected to pass with one of these fails its session.
NOT_PASSING = FAILING + UNTRUSTED
