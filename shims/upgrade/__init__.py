"""Upgrade real 2017-2018 torch and TensorFlow 1 scripts, driven by ``matrix/catalog.toml``.

- :mod:`shims.upgrade.rules`: the LibCST rules by family (autograd, losses, tensors, data, TensorFlow 1),
  each registered under the catalog id it serves (``@rule("<id>")``); a rule rewrites the old form into
  the entry's ``new`` or, where no rewrite is safe, reports where it found it (the entry's ``upgrade``
  field says which: "rewrite", "report" or "runtime").
- :mod:`shims.upgrade.engine`: runs the rules over one source text: the new text and the findings,
  each with the line of the *original* text.
- :mod:`shims.upgrade.target`: ``--target-torch`` / ``--keep-working-on``: whether a rule's new form
  exists on a given torch (the catalog's ``new_since``) and whether its old form still works there
  (cited versions, the probes' records in results/); no LibCST.
- :mod:`shims.upgrade.report`: the findings as a report (what changed, what to fix by hand and the
  docs section to read), in the manner of ``tf_upgrade_v2``'s, never "0 issues" on code that still
  breaks.
- :mod:`shims.upgrade.cli`: ``python -m shims upgrade`` (diff, ``--write``, ``--check``, ``--format json``).
- :mod:`shims.upgrade.run`: ``python -m shims run`` (the same rewrite in memory, then the script).
- :mod:`shims.upgrade.notebook`: Jupyter notebooks for both: the code cells as one script with a map
  back to cells and lines, and the JSON written back with the rewritten cells, magics and outputs kept.

Nothing here is imported by ``shims.torch_legacy`` or ``shims.tf1``: LibCST is needed only by these
commands (``pip install libcst``, the ``upgrade`` dependency group).
"""
from __future__ import annotations

#: exit statuses of both commands (EXIT_NOT_WRITTEN: ``upgrade --write`` could not write a file)
EXIT_OK, EXIT_WOULD_CHANGE, EXIT_BAD_INPUT, EXIT_NOT_WRITTEN = 0, 1, 2, 3
