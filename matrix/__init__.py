"""The version matrix: run every variant against pinned torch releases and record what happened.

``noxfile.py`` declares the matrix (eras x torch pins x devices); this package does the work:

- :mod:`matrix.facts.pins`: the torch pins (each release, its Python, NumPy and TensorFlow, and why), data only
- :mod:`matrix.running.session`: the body of a nox matrix session, as a chain of small steps (plan, not run?,
  pin, device, cells, probes, record, verdict)
- :mod:`matrix.running.run`: one nox run (its id, the records written, the sessions that failed, the probes
  shared by a pin's sessions) and the summary printed when nox exits
- :mod:`matrix.running.environment`: what is installed in a session's interpreter, installing a pin, finding a GPU
- :mod:`matrix.running.cell`: run one example in its own process and classify the outcome
- :mod:`matrix.launch`, :mod:`matrix.running.warm`: how that process starts: spawned, or forked from a warm
  parent that imported torch (and TensorFlow) once per session
- :mod:`matrix.running.trace`: the in-process wrapper around a variant (warnings, exception, exit status)
- :mod:`matrix.facts.expected`: expected failures (matrix/expected.toml) and the verdict on a session's cells
- :mod:`matrix.probes`: one probe per catalog change, by family, and their runner (``python -m matrix.probes``)
- :mod:`matrix.records.schema`: the keys of a session, cell and probe record, each documented once (TypedDicts)
- :mod:`matrix.records.results`: where records go, writing and loading them, the summary table (``python -m matrix.records.results``)
- :mod:`matrix.records.jsonio`: the one atomic JSON writer; :mod:`matrix.facts.tomlio`: the one TOML reader
- :mod:`matrix.facts.catalog`: the catalog of changes (matrix/catalog.toml)
- :mod:`matrix.running.options`, :mod:`matrix.running.interpreters`: session options after ``--``; finding a pin's Python
- :mod:`matrix.records.summary`, :mod:`matrix.records.compare`: what needs attention, the table; a run against the reference
- :mod:`matrix.records.observations`: recorded probe results as observations; the first pin that warns or fails
  and the pin before it (a boundary; not-run pins never move one), where a probe's values change
- :mod:`matrix.records.divergence`: loss curves that differ between pins (first step, largest difference), the
  catalog change that explains each, and the checks' runs of a script's loop with one cause at a time
- :mod:`matrix.pages`: docs/compat-matrix.md, docs/migration.md and the figures (``python docs/generate.py``)
- :mod:`matrix.bench`: what a step costs (the shims, each pin, larger sizes, building a pin's environment),
  measured into one results file (``nox -s bench``, ``python -m matrix.bench``)
- :mod:`matrix.facts.snippets`: run the catalog's old and new code and judge it by the entry's kind
  (``python -m matrix.facts.snippets [--python OTHER]``)
- :mod:`matrix.ci.workflow`: the GitHub Actions workflow, generated from ``nox --list --json``
  (``python -m matrix.ci.workflow [--check]``)

Code here that runs *inside* a matrix cell (:mod:`matrix.running.trace`, :mod:`matrix.running.warm`, :mod:`matrix.probes`,
:mod:`matrix.records.jsonio`, the describe snippet in :mod:`matrix.running.environment`) must run on Python 3.7+ with
the standard library only (the probes also import torch, numpy and tensorflow); tests/test_matrix_cell.py
checks it.
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
