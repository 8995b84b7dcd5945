"""One small probe per catalog entry: run the OLD form on the installed torch and say what happens.

    python -m matrix.probes --out FILE.json     # every probe, one JSON list (the contract's format)
    python -m matrix.probes --only zero_dim_index --only numpy2-abi   # a probe name or a catalog id
    python -m matrix.probes --list              # the probe names, in the order they run (catalog order)

Each probe exercises the old idiom of one change in ``matrix/catalog.toml`` (the entry whose id it is
registered with, ``@probe("size-average")``) and classifies it:

``works``    ran, no warning, the old meaning holds
``warns``    ran, with warnings (category and exact text recorded)
``errors``   raised (type and exact text recorded)
``differs``  ran without a sound but gave a different answer than the old form used to
             (``value`` holds the numbers)
``not_run``  could not be tried here (``detail`` says why: a module that is not installed, an API
             that does not exist yet on this torch)

(``crashed`` is never written here: :mod:`matrix.running.session` records it, with ``error = {"type": "crash",
"message": ...}``, for the probe that was running when this process died.)

``--out FILE`` is rewritten (atomically) after every probe, so that when the process dies in the
middle (a segfault inside torch, a timeout) the probes that finished are kept; the caller reruns the
rest with ``--only``. Probes run in catalog order (the order of ``--list``) whatever the order of the
``--only`` options.

Values that only mean something compared across releases (exact bits of a float32 result, as a
digest) are plain data in ``value``; ``docs/generate.py`` compares them between torch pins recorded
on the same CPU, using the keys the catalog entry names in ``compare``.

Runs inside every matrix cell, from Python 3.9 + torch 1.8.1 up to Python 3.11 + torch 2.x (and
must import on 3.7), so: stdlib + torch (+ numpy, + tensorflow when importable) only, no ``tomllib``;
``PROBES`` maps each catalog id to its probe; the function's name is the record's probe name (the
record's ``id``, kept for the recorded reference in results/), :func:`probe_name` gives it for an id,
and importing this package does not import torch (the docs generator uses it). Some torch warnings are
issued once per process (``TORCH_WARN_ONCE``): run the probes in a fresh interpreter, once.

The probes live by family; the runner (``--out``, ``--only``, ``--list``, a probe's record) is
:mod:`matrix.probes.runner`:

- :mod:`matrix.probes.autograd`: Variable/volatile, 0-dim indexing, ``.data`` updates, legacy and
  ``ctx`` Functions, ``zero_grad()`` (with modern/dynamic_net's loop run one cause at a time),
  ``.grad`` before ``backward()``
- :mod:`matrix.probes.api`: ``size_average``, legacy tensor types (and what the CUDA type says here),
  the default tensor type (and whether ``set_default_device`` exists),
  ``torch.cuda.amp``, ``torch.load``, ``functorch``, the pre-1.9 linear algebra
- :mod:`matrix.probes.defaults`: softmax's implicit ``dim``, the scalar-first ``add_`` / ``addcmul_`` /
  ``addcdiv_`` overloads, ``scheduler.step()`` before ``optimizer.step()``, ``scheduler.step(epoch)``
- :mod:`matrix.probes.idioms`: ``scheduler.get_lr()`` as the current rate, ``meshgrid`` without ``indexing``,
  ``x.T`` on a non-2-D tensor, ``load_lua``, ``torch.tensor`` of a tensor
- :mod:`matrix.probes.numerics`: float32 bits of ``mm`` and ``linspace``, Adam's first moment, the
  gradient of ``clamp`` at its boundary
- :mod:`matrix.probes.ecosystem`: TensorFlow 1 graph code and its assign race, ``tf.contrib``, TF1 RNN cells
  under Keras 3, NumPy's ABI, NumPy's float64 bits, a size-1 array used as a number
"""
from __future__ import annotations

# Importing a family registers its probes (@probe(catalog id)); a new probe touches its family's file only.
from matrix.probes import api, autograd, defaults, ecosystem, idioms, numerics  # noqa: F401
from matrix.probes import runner
from matrix.probes.runner import (PROBES, NotRun, import_torch_once, main, ordered, probe, probe_name, run_all,
                                  run_probe, write_atomically)

runner.DESCRIPTION = __doc__.splitlines()[0]  # python -m matrix.probes --help
# matrix.probes.<name> is each probe function, as the catalog's docs and docs/migration.md name them
globals().update({fn.__name__: fn for fn in PROBES.values()})

__all__ = ["PROBES", "NotRun", "import_torch_once", "main", "ordered", "probe", "probe_name", "run_all", "run_probe",
           "write_atomically", *(fn.__name__ for fn in PROBES.values())]
