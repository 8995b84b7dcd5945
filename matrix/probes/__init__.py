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
  ``addcdiv_`` overloads, ``scheduler.step()`` before ``optimizer.step()``, ``scheduler.step(epoch)``, ``align_corners`` defaults
- :mod:`matrix.probes.lapack`: the old LAPACK names (``btrifact``, ``gesv``, ``potrf``, ``gels``, ...) and
  ``triangular_solve`` / ``lu`` / ``lu_solve``, per function
- :mod:`matrix.probes.legacy_autograd`: graph attributes read on a Function instance,
  ``grad_variables=``, ``traceable``, ``mark_shared_storage``, ``sample_n``
- :mod:`matrix.probes.legacy_misc`: a plain-method ``__torch_function__``, pickling a Storage,
  ``gumbel_softmax``'s ``eps``, ``torch.utils.ffi``, ``-1`` as the CPU in ``comm.gather``
- :mod:`matrix.probes.idioms`: ``scheduler.get_lr()`` as the current rate, ``meshgrid`` without ``indexing``,
  ``x.T`` on a non-2-D tensor, ``load_lua``, ``torch.tensor`` of a tensor
- :mod:`matrix.probes.numerics`: float32 bits of ``mm`` and ``linspace``, Adam's first moment, the
  gradient of ``clamp`` at its boundary
- :mod:`matrix.probes.arithmetic`: integer division (``/``, ``//``, ``floor_divide``), ``torch.range``,
  ``linspace`` / ``logspace`` without ``steps``, ``torch.ger``
- :mod:`matrix.probes.ecosystem`: TensorFlow 1 graph code and its assign race, ``tf.contrib``, TF1 RNN cells
  under Keras 3, NumPy's ABI, NumPy's float64 bits, a size-1 array used as a number
- :mod:`matrix.probes.tensorfns`: the pre-1.8 FFT functions, named tensors, ``torch.cross`` without
  ``dim``, ``torch.normal`` with shapes that do not broadcast, ``x.T`` of a 0-dim tensor, ``torch.stft``
  without ``return_complex``
- :mod:`matrix.probes.training`: non-full backward hooks, a Sampler's ``data_source``, the schedulers'
  ``verbose`` and ``print_lr``, ``nn.utils.weight_norm``, positional ``state_dict`` arguments
- :mod:`matrix.probes.masks`: uint8 masks (indexing, ``masked_*``, ``where``, ``nn.MultiheadAttention``) and
  what old code does with a comparison's result (bool since 1.2)
- :mod:`matrix.probes.nn_names`: the torch.nn names renamed and kept with warnings (``nn.init``
  without ``_``, ``clip_grad_norm``, ``Hardtanh``'s keywords, ``NLLLoss2d``, ``nn.Container``,
  ``upsample_bilinear`` / ``upsample_nearest``)
- :mod:`matrix.probes.execution`: ``.cuda(async=True)``, deterministic algorithms, ``checkpoint_sequential``'s
  inputs, in-place writes into expanded tensors, torch.hub's directories and download function
"""
from __future__ import annotations

# Importing a family registers its probes (@probe(catalog id)); a new probe touches its family's file only.
from matrix.probes import (  # noqa: F401
    api, arithmetic, autograd, defaults, ecosystem, execution, idioms, lapack, legacy_autograd, legacy_misc,
    masks, nn_names, numerics, tensorfns, training,
)
from matrix.probes import runner
from matrix.probes.runner import (PROBES, NotRun, import_torch_once, main, ordered, probe, probe_name, run_all,
                                  run_probe, write_atomically)

runner.DESCRIPTION = __doc__.splitlines()[0]  # python -m matrix.probes --help
# matrix.probes.<name> is each probe function, as the catalog's docs and docs/migration.md name them
globals().update({fn.__name__: fn for fn in PROBES.values()})

__all__ = ["PROBES", "NotRun", "import_torch_once", "main", "ordered", "probe", "probe_name", "run_all", "run_probe",
           "write_atomically", *(fn.__name__ for fn in PROBES.values())]
