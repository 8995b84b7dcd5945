"""The bench: what running the matrix's examples costs, measured (``nox -s bench``, ``python -m matrix.bench``).

Not timed tests: a harness that runs each variant in a pin's interpreter, each run a fresh process,
and writes every number it measured to one results file (:mod:`matrix.bench.record` describes its
keys). ``docs/performance.md`` is rendered from that file and shows no figure it does not hold.

- :mod:`matrix.bench.record`: the results file's schema, where it goes, writing it atomically
- :mod:`matrix.bench.stats`: medians, percentiles, the interleaving order, ratios (pure functions)
- :mod:`matrix.bench.timing`: one variant run once in a pin's interpreter -> its seconds per step;
  the size sweep run there
- :mod:`matrix.bench.stamp`: the variant under :mod:`matrix.running.trace`, each printed line stamped in the
  child's own process (Python 3.7+, standard library)
- :mod:`matrix.bench.sweep`: the size sweep's workload, run *inside* a pin's interpreter (Python 3.7+,
  the standard library and torch only)
- :mod:`matrix.bench.envbuild`: a pin's virtualenv built and timed, warm (uv's shared cache) and cold
- :mod:`matrix.bench.run`: the command line and the order the sections run in

This file imports nothing, so that the workload can be found on Python 3.7 without the host's code.
"""
