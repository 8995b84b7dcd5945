"""TensorFlow 1.x graph code (placeholders, ``tf.Session``, ``feed_dict``) on TensorFlow 2.x.

What it adapts
--------------
The tutorial's "TensorFlow: Static Graphs" example (2017-2019 copies) is TF1 code::

    x = tf.placeholder(tf.float32, shape=(None, D_in))
    w1 = tf.Variable(tf.random_normal((D_in, H)))
    grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run([loss, new_w1, new_w2], feed_dict={x: x_value, y: y_value})

On TensorFlow 2.x these names are gone from the top-level ``tf`` namespace (``tf.placeholder``,
``tf.Session``, ``tf.random_normal``, ``tf.set_random_seed``, ``tf.global_variables_initializer``),
and under ``tf.compat.v1`` they fail while eager execution is on. The messages, the release and the
sources: catalog: tf1-graph-on-tf2 (matrix/catalog.toml) - https://www.tensorflow.org/guide/migrate

``graph_mode()`` applies both documented remedies, explicitly, when the script calls it (importing
this module changes nothing): it turns eager execution off with
``tf.compat.v1.disable_eager_execution()`` and returns ``tf.compat.v1``, the TF1 API, for the script to
bind to the name ``tf``. The graph code then runs unchanged. ``tf.gradients`` stays: it is graph-mode
only, which is what ``tf.GradientTape`` replaces in TF2 code (see variants/modern/tf_static_graph.py).

On TensorFlow 1.x, where ``tf.placeholder`` exists, ``graph_mode()`` returns ``tf`` itself and
changes nothing.

What TensorFlow prints: nothing from ``graph_mode()`` or the graph code through Python's
``warnings`` module, and no deprecation notice through TF's own logger (``tf.get_logger()``, which
is where ``tf.compat.v1`` symbols decorated as deprecated would log "... is deprecated and will be
removed in a future version"): ``disable_eager_execution``, ``placeholder``, ``Session``,
``gradients``, ``random_normal`` and ``global_variables_initializer`` are not so decorated (checked on
2.12.1 and 2.21.0). What does appear on stderr comes from the C++ runtime (the CPU-feature banner,
"MLIR V1 optimization pass is not enabled"), hidden by ``TF_CPP_MIN_LOG_LEVEL=2``
(tests/conftest.py sets it); but not all of it: on 2.21.0, ``import tensorflow`` writes "WARNING: All
log messages before absl::InitializeLog() is called are written to STDERR" and the "oneDNN custom
operations are on" notice (twice each) whatever ``TF_CPP_MIN_LOG_LEVEL`` says (measured with 2 and
3); only ``TF_ENABLE_ONEDNN_OPTS=0``, which changes the kernels, removes them. On 2.12.1,
``import tensorflow`` itself raises a few ``DeprecationWarning``s (keras' invalid escape sequences,
``sre_constants``), hidden by Python's default filters; 2.21.0 raises none.

``disable_eager_execution`` "can only be called before any Graphs, Ops, or Tensors have been
created": https://www.tensorflow.org/api_docs/python/tf/compat/v1/disable_eager_execution
"""
from __future__ import annotations

from types import ModuleType
from typing import Any, ContextManager


def graph_mode(device: str = "cpu") -> ModuleType:
    """Return the TensorFlow 1.x API with graph execution on, for TF1 code to run as written.

    Call it once, at the start of the script, before any TensorFlow op is created, and bind the
    result to ``tf``::

        tf = graph_mode(args.device)   # tf.compat.v1, eager execution off
        x = tf.placeholder(tf.float32, shape=(None, D_in))

    ``device="cpu"`` hides any GPU from TensorFlow so the graph runs on the CPU as asked (TF places
    ops on a visible GPU by itself); ``"cuda"`` leaves placement to TensorFlow.
    """
    import tensorflow as tf

    if hasattr(tf, "placeholder") and hasattr(tf, "Session"):
        return tf  # TensorFlow 1.x: the tutorial's API as it was; nothing to adapt
    if device == "cpu":
        # tf.config.set_visible_devices: TF >= 2.1; TF 2.0 has it only under tf.config.experimental.
        set_visible = getattr(tf.config, "set_visible_devices", None) or tf.config.experimental.set_visible_devices
        set_visible([], "GPU")
    if tf.executing_eagerly():
        tf.compat.v1.disable_eager_execution()
    return tf.compat.v1


def read_before_write(tf: ModuleType, *reads: Any) -> ContextManager:
    """``tf.control_dependencies(reads)``: the ops built inside run only after ``reads`` are computed.

    The tutorial's graph fetches ``loss`` and the two ``assign`` ops in one ``sess.run`` with no
    dependency between them, and TensorFlow runs the ops of one ``sess.run`` in no guaranteed order. With
    TF1's reference variables an ``assign`` can then overwrite ``w1`` while the forward pass or the
    gradients still read it: runs with the same seed print different losses (TensorFlow 1.13.1), or
    the loss goes to nan by step 11-13 in some runs or all (1.15.5). The probe tf1_assign_race records
    how often, per pin (catalog: tf1-assign-race, matrix/catalog.toml;
    https://github.com/tensorflow/tensorflow/issues/10860). Build the updates inside it::

        with read_before_write(tf, loss, grad_w1, grad_w2):
            new_w1 = w1.assign(w1 - learning_rate * grad_w1)

    It works the same on TensorFlow 1.0 through 2.x (``tf.compat.v1``); in new code write
    ``tf.control_dependencies`` directly, or use TF2's eager ``tf.GradientTape``.
    """
    return tf.control_dependencies(list(reads))
