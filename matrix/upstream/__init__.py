"""Torch's own deprecations and removals, release by release, against the catalog (docs/coverage.md).

    python -m matrix.upstream mine       # install each minor release (1.0-2.15), record what it says
    python -m matrix.upstream events     # diff the records into results/upstream/events.json

:mod:`matrix.upstream.releases` names the releases; :mod:`matrix.upstream.mine` installs each into a
throwaway venv and records it (with ``extract.py``, a script run by that venv's Python) in
results/upstream/releases/; :mod:`matrix.upstream.events` diffs consecutive records into events;
:mod:`matrix.upstream.classify` gives each event a catalog id, "in scope" or an out-of-scope reason
(rules: classification.toml here); :mod:`matrix.pages.coverage` renders docs/coverage.md from them.
``claim_check.py`` is another script for a throwaway venv: three catalog claims checked by hand
(results/upstream/claims.json).
"""
