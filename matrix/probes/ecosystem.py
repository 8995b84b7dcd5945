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

from matrix.probes.runner import TORCH_IMPORT, TORCH_IMPORT_WARNINGS, NotRun, load_torch, probe


def import_tensorflow():
    """``import tensorflow``, its own import-time warnings (TF 1.13 on Python 3.7: "the imp module is
    deprecated", the ``collections`` ABCs) left out of the probe's record, so that a probe's ``warns``
    is about the code it tries (a cell's trace keeps them, as ``import_warnings``); :class:`NotRun`
    where it is not installed."""
    if importlib.util.find_spec("tensorflow") is None:
        raise NotRun("tensorflow is not installed in this environment")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        import tensorflow as tf
    return tf


def tf1_api(tf):
    """The TensorFlow 1 API: ``tf.compat.v1`` (TensorFlow 1.13+ and 2.x), else ``tf`` itself (older 1.x)."""
    return getattr(getattr(tf, "compat", None), "v1", tf)


@probe("tf1-graph-on-tf2")
def tf1_graph():
    """TensorFlow 1 graph code: ``tf.placeholder``, ``tf.random_normal``, ``tf.Session``."""
    tf = import_tensorflow()

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


def _tutorial_graph_losses(tf, v1, ordered: bool, steps: int, seed: int = 0) -> list:
    """The 2017 tutorial's TF1 graph (64 x 1000 -> 100 -> 10, lr 1e-6) in a graph of its own, ``steps``
    losses; ``ordered``: the assigns under ``control_dependencies([loss, grad_w1, grad_w2])`` (the fix)."""
    import numpy as np

    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        n, d_in, h, d_out = 64, 1000, 100, 10
        x = v1.placeholder(tf.float32, shape=(None, d_in))
        y = v1.placeholder(tf.float32, shape=(None, d_out))
        w1 = v1.Variable(v1.random_normal((d_in, h)))
        w2 = v1.Variable(v1.random_normal((h, d_out)))
        y_pred = tf.matmul(tf.maximum(tf.matmul(x, w1), tf.zeros(1)), w2)
        loss = tf.reduce_sum((y - y_pred) ** 2.0)
        grad_w1, grad_w2 = v1.gradients(loss, [w1, w2])
        deps = [loss, grad_w1, grad_w2] if ordered else []
        with tf.control_dependencies(deps):
            new_w1 = w1.assign(w1 - 1e-6 * grad_w1)
            new_w2 = w2.assign(w2 - 1e-6 * grad_w2)
        rng = np.random.RandomState(seed)
        x_value, y_value = rng.randn(n, d_in), rng.randn(n, d_out)
        losses = []
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            for _ in range(steps):
                value, _, _ = sess.run([loss, new_w1, new_w2], feed_dict={x: x_value, y: y_value})
                losses.append(float(value))
    return losses


def _race_summary(curves: list) -> dict:
    """How ``curves`` (the same graph, seed and data, run again) differ: distinct curves, and per run
    the first step whose loss is not finite (None: none)."""
    import math

    first_bad = [next((i for i, v in enumerate(c) if not math.isfinite(v)), None) for c in curves]
    distinct = len({repr(c) for c in curves})
    bad = sorted(b for b in first_bad if b is not None)
    said = (f"{distinct} distinct loss curve{'s' if distinct > 1 else ''} in {len(curves)} runs; "
            + (f"{len(bad)} diverged (first nan or inf at step {bad[0]}" + (f" to {bad[-1]})" if bad[-1] != bad[0] else ")")
               if bad else "none diverged"))
    return {"runs": len(curves), "distinct_curves": distinct, "diverged_runs": len(bad),
            "first_nonfinite_step": first_bad, "summary": said,
            "last_losses": [c[-1] if math.isfinite(c[-1]) else repr(c[-1]) for c in curves]}


@probe("tf1-assign-race")
def tf1_assign_race():
    """The tutorial's TF1 graph run 10 times as published (the ``assign`` ops fetched with the loss, no
    control dependency) and 10 times with the fix, same seed and data: do the runs agree, and stay finite?"""
    tf = import_tensorflow()
    v1 = tf1_api(tf)
    runs, steps = 10, 50
    published = _race_summary([_tutorial_graph_losses(tf, v1, False, steps) for _ in range(runs)])
    ordered = _race_summary([_tutorial_graph_losses(tf, v1, True, steps) for _ in range(runs)])
    value = {"tensorflow": tf.__version__, "steps": steps, "published": published, "ordered": ordered,
             "as_published": published["summary"], "with_control_dependencies": ordered["summary"],
             "published_racy": published["distinct_curves"] > 1 or published["diverged_runs"] > 0,
             "ordered_racy": ordered["distinct_curves"] > 1 or ordered["diverged_runs"] > 0}
    detail = (f"tensorflow {tf.__version__}, {runs} runs x {steps} steps each: as published "
              f"{published['distinct_curves']} distinct curve(s), {published['diverged_runs']} diverged; with "
              f"control_dependencies {ordered['distinct_curves']} distinct, {ordered['diverged_runs']} diverged")
    return {"outcome": "differs" if value["published_racy"] else "works", "detail": detail, "value": value}


@probe("numpy2-abi")
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


@probe("numpy-float64-bits")
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


@probe("tf-contrib")
def tf_contrib():
    """``tf.contrib`` (TensorFlow 1.x only), and ``tf.compat.v1.contrib`` where TensorFlow 2 is installed.

    The question is whether the name is there: what TensorFlow 1 prints while it loads contrib (its own
    deprecation notices, the ``collections`` ABCs on Python 3.7) is kept in ``value``, not counted as
    the old form warning."""
    tf = import_tensorflow()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        contrib = tf.contrib  # the old form, as 2017 code spells it: raises on TensorFlow 2
        has_layers = hasattr(contrib, "layers")
    return {"detail": f"tensorflow {tf.__version__}: tf.contrib present", "warnings": [],
            "value": {"tensorflow": tf.__version__, "has_layers": has_layers,
                      "loading_warnings": [f"{w.category.__name__}: {w.message}" for w in caught][:5]}}


@probe("tf1-rnn-keras3")
def tf1_rnn_cell_keras3():
    """``tf.compat.v1.nn.rnn_cell.BasicLSTMCell`` (``tf.nn.rnn_cell`` in TF1 code): Keras 2 layers under the
    hood, which TensorFlow 2.16+ with Keras 3 refuses unless tf_keras and TF_USE_LEGACY_KERAS=1.

    The question is whether the class is there; its deprecation notice (TensorFlow 2.x before Keras 3)
    is kept in ``value``."""
    tf = import_tensorflow()
    v1 = tf1_api(tf)
    context = {"tensorflow": tf.__version__, "TF_USE_LEGACY_KERAS": os.environ.get("TF_USE_LEGACY_KERAS"),
               "tf_keras": importlib.util.find_spec("tf_keras") is not None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cell = v1.nn.rnn_cell.BasicLSTMCell(4)
    return {"detail": f"tensorflow {tf.__version__}: BasicLSTMCell built", "warnings": [],
            "value": dict(context, units=cell.state_size[0],
                          deprecation=[f"{w.category.__name__}: {w.message}" for w in caught][:3])}


@probe("numpy-ndim-scalar")
def numpy_ndim_scalar():
    """``"%.2f" % w.numpy()`` / ``float(a)`` on a (1, 1) array: a size-1 array used as a Python number."""
    if importlib.util.find_spec("numpy") is None:
        raise NotRun("numpy is not installed in this environment")
    import numpy as np

    text = "%.2f" % np.ones((1, 1))
    return {"detail": f"formatted as {text}", "value": {"numpy": np.__version__, "text": text}}
