"""Probes of the libraries around torch: TensorFlow 1 graph code, torch <-> NumPy interop under the
installed NumPy, NumPy's own float64 bits.

Each probe is ``not_run`` where its library is not installed. Python 3.7+, the standard library,
torch, numpy and tensorflow only.
"""
from __future__ import annotations

import builtins
import importlib.util
import os
import warnings

from matrix.probes.runner import TORCH_IMPORT, TORCH_IMPORT_WARNINGS, NotRun, load_torch


def tf1_graph():
    """TensorFlow 1 graph code: ``tf.placeholder``, ``tf.random_normal``, ``tf.Session``."""
    if importlib.util.find_spec("tensorflow") is None:
        raise NotRun("tensorflow is not installed in this environment")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    per = {}
    first_error = None
    for name in ("placeholder", "random_normal", "Session", "global_variables_initializer"):
        present = hasattr(tf, name)
        per[name] = present
        if not present and first_error is None:
            try:
                getattr(tf, name)
            except AttributeError as exc:
                first_error = {"type": "AttributeError", "message": str(exc)}
    detail = f"tensorflow {tf.__version__}: " + ", ".join(
        f"tf.{k} {'present' if v else 'missing'}" for k, v in per.items())
    if first_error:
        return {"outcome": "errors", "detail": detail, "error": first_error,
                "value": {"tensorflow": tf.__version__, "present": per}}
    x = tf.placeholder(tf.float32, shape=(None, 2))
    return {"detail": detail, "value": {"tensorflow": tf.__version__, "present": per, "x": str(x.dtype)}}


def numpy_abi():
    """torch <-> NumPy interop (``torch.from_numpy``, ``Tensor.numpy()``) with the installed NumPy."""
    if importlib.util.find_spec("numpy") is None:
        raise NotRun("numpy is not installed in this environment")
    import numpy as np

    said = [line for line in TORCH_IMPORT["stderr"].splitlines() if line.strip()]
    if TORCH_IMPORT["error"]:
        return {"outcome": "errors",
                "detail": f"numpy {np.__version__}: import torch failed" + (f" after: {said[0]}" if said else ""),
                "error": dict(TORCH_IMPORT["error"]), "value": {"numpy": np.__version__, "stderr": said}}
    torch = load_torch()
    for w in TORCH_IMPORT_WARNINGS:  # "Failed to initialize NumPy: ..." is said while importing torch
        category = getattr(builtins, w["category"], UserWarning)
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category = UserWarning
        warnings.warn_explicit(w["message"], category, "torch/__init__.py", 0)
    t = torch.from_numpy(np.arange(3.0))
    back = (t * 2).numpy()
    return {"detail": f"numpy {np.__version__} with torch {torch.__version__}: round trip ok",
            "value": {"numpy": np.__version__, "result": back.tolist(), "stderr": said}}


def numpy_float64_bits():
    """NumPy's float64 ``np.sin(x)`` and ``x ** 3`` on ``x = np.linspace(-pi, pi, 2000)`` (the modern numpy
    warm-up's y and cubic term): exact bits, as digests."""
    if importlib.util.find_spec("numpy") is None:
        raise NotRun("numpy is not installed in this environment")
    import hashlib
    import math

    import numpy as np

    def digest(a) -> str:
        return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]

    x = np.linspace(-math.pi, math.pi, 2000)
    y = np.sin(x)
    cube = x ** 3
    xs = x.tolist()
    # Python's math module (the C library) for scale: how many values NumPy rounds otherwise
    sin_off = sum(1 for a, v in zip(y.tolist(), xs) if a != math.sin(v))
    cube_off = sum(1 for a, v in zip(cube.tolist(), xs) if a != v ** 3)
    return {"detail": f"numpy {np.__version__}: float64 sin and x ** 3 on the CPU; compare the digests across "
                      "NumPy releases recorded on the same CPU",
            "value": {"numpy": np.__version__, "x": digest(x), "sin": digest(y), "cube": digest(cube),
                      "sin_not_math": sin_off, "cube_not_python": cube_off}}
