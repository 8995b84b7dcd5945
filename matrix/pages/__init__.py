"""The generated pages: docs/compat-matrix.md, docs/migration.md and docs/img/*.png.

Inputs: the catalog (the cited facts and hypotheses), the recorded matrix results (what happened on
which torch, on which CPU, when), the variant scripts (the code), and the hand-written fragments in
docs/prose/. Every statement the pages make as measured is derived from results/*.json (by
:mod:`matrix.observations` and :mod:`matrix.divergence`) and carries the torch build, the CPU (the
record's ``device_name``) and the date of the run; float32 bits depend on the CPU, so values are only
ever compared between records of the same CPU.

Output is deterministic: sorted, no timestamps but those recorded in the results, PNGs written
without a creation date or software tag. ``tests/test_pages.py`` regenerates into a temporary folder
and compares. PNG bytes depend on the matplotlib (and FreeType) build, so docs/img/manifest.json
records, per figure, a SHA-256 of the data plotted and the matplotlib version that drew it; the
test compares the data hashes always and the PNG bytes only under that same matplotlib version.

- :mod:`matrix.pages.build`: :func:`generate` (the driver, ``python docs/generate.py``) and :func:`relink`
- :mod:`matrix.pages.compat` and :mod:`matrix.pages.migration`: the two pages
- :mod:`matrix.pages.versions`: a change's "Versions" lines, measured and cited
- :mod:`matrix.pages.cells`: one matrix cell as text; :mod:`matrix.pages.figures`: the loss curves
- :mod:`matrix.pages.text`: markdown pieces
"""
from matrix.pages.build import generate, relink

__all__ = ["generate", "relink"]
