"""shims/tf1.py: TensorFlow 1 graph code on TensorFlow 2.x.

1. On the installed TensorFlow 2.x the tutorial's TF1 calls break, with these exact errors.
2. Importing the shim changes nothing; calling ``graph_mode()`` (in a fresh interpreter, since it
   switches eager execution off for the whole process) makes the same graph code run.
3. The graph code gives the numbers an equivalent TF2 (eager, ``tf.GradientTape``) computation
   gives: a forward pass, loss, gradients and one gradient-descent step of the tutorial's two-layer
   net, on the same inputs and weights.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from packaging.version import Version

from conftest import ROOT
from matrix.facts.catalog import message

tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed in this environment")
# The major number of the parsed version, which local builds ("2.21.0+nv25.1") keep; not a comparison
# with Version("2"), below which a 2.0 pre-release (2.0.0rc0, already TF2) sorts.
pytestmark = pytest.mark.skipif(Version(tf.__version__).major < 2,
                                reason=f"TensorFlow {tf.__version__} is 1.x: the TF1 API is native, nothing to adapt")


@pytest.mark.parametrize("name", ["placeholder", "Session", "random_normal", "set_random_seed",
                                  "global_variables_initializer"])
def test_tf1_names_are_gone_from_tf2(name):
    with pytest.raises(AttributeError) as exc:
        getattr(tf, name)
    assert str(exc.value) == f"module 'tensorflow' has no attribute '{name}'"


def test_compat_v1_graph_calls_fail_under_eager_execution():
    assert tf.executing_eagerly()  # TF2's default, in this (pytest) process
    with pytest.raises(RuntimeError) as exc:
        tf.compat.v1.placeholder(tf.float32, shape=(None, 3))
    assert str(exc.value) == message("tf1-graph-on-tf2", "RuntimeError: tf.placeholder()")
    w = tf.Variable(1.0)
    with pytest.raises(RuntimeError) as exc:
        tf.compat.v1.gradients(w * 2.0, [w])
    assert str(exc.value) == message("tf1-graph-on-tf2", "RuntimeError: tf.gradients")


def test_importing_the_shim_changes_nothing():
    import shims.tf1

    assert tf.executing_eagerly()
    assert callable(shims.tf1.graph_mode)
    assert "placeholder" in (shims.tf1.__doc__ or "")  # names what it adapts


# The inputs both computations share: small, so the check is quick and exact enough in float32.
N, D_in, H, D_out, LR = 8, 20, 6, 3, 1e-3


def _inputs():
    rng = np.random.default_rng(1234)
    arrays = [rng.standard_normal(shape).astype(np.float32)
              for shape in ((N, D_in), (N, D_out), (D_in, H), (H, D_out))]
    return arrays


# The tutorial's graph, verbatim but for sizes and initial values, run through shims.tf1.graph_mode().
GRAPH_CODE = r"""
import json, sys, warnings
import numpy as np
import tensorflow  # first: TF 2.12's own import emits DeprecationWarnings (keras escapes, sre_constants)
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:  # what the shim and the TF1 graph code emit
    from shims.tf1 import graph_mode
    tf = graph_mode("cpu")
    eager_after = tf.executing_eagerly()
    x_value, y_value, w1_0, w2_0, lr = (np.array(a, dtype=np.float32) for a in json.loads(sys.argv[1]))
    x = tf.placeholder(tf.float32, shape=(None, x_value.shape[1]))
    y = tf.placeholder(tf.float32, shape=(None, y_value.shape[1]))
    w1 = tf.Variable(w1_0)
    w2 = tf.Variable(w2_0)
    h = tf.matmul(x, w1)
    h_relu = tf.maximum(h, tf.zeros(1))
    y_pred = tf.matmul(h_relu, w2)
    loss = tf.reduce_sum((y - y_pred) ** 2.0)
    grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])
    learning_rate = float(lr)
    new_w1 = w1.assign(w1 - learning_rate * grad_w1)
    new_w2 = w2.assign(w2 - learning_rate * grad_w2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        pred, loss_value, g1, g2 = sess.run([y_pred, loss, grad_w1, grad_w2], feed_dict={x: x_value, y: y_value})
        _, n1, n2 = sess.run([loss, new_w1, new_w2], feed_dict={x: x_value, y: y_value})
print(json.dumps({
    "module": tf.__name__, "eager_after": eager_after,
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    "y_pred": pred.tolist(), "loss": float(loss_value), "grad_w1": g1.tolist(), "grad_w2": g2.tolist(),
    "new_w1": n1.tolist(), "new_w2": n2.tolist(),
}))
"""


@pytest.fixture(scope="module")
def graph_result() -> dict:
    x_value, y_value, w1_0, w2_0 = _inputs()
    payload = json.dumps([x_value.tolist(), y_value.tolist(), w1_0.tolist(), w2_0.tolist(), LR])
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", GRAPH_CODE, payload], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["stderr"] = proc.stderr
    return result


def test_graph_mode_runs_tf1_code(graph_result):
    assert graph_result["module"].endswith("compat.v1")
    assert graph_result["eager_after"] is False
    # TF's compat.v1 notices go through its logger, not Python's warnings module: none here
    # (measured on TF 2.12.1 and 2.21.0).
    assert graph_result["warnings"] == []


def test_graph_mode_gives_the_numbers_of_tf2(graph_result):
    x_value, y_value, w1_0, w2_0 = _inputs()
    w1, w2 = tf.Variable(w1_0), tf.Variable(w2_0)
    with tf.GradientTape() as tape:
        y_pred = tf.matmul(tf.nn.relu(tf.matmul(x_value, w1)), w2)
        loss = tf.reduce_sum((y_value - y_pred) ** 2.0)
    grad_w1, grad_w2 = tape.gradient(loss, [w1, w2])
    w1.assign_sub(LR * grad_w1)
    w2.assign_sub(LR * grad_w2)
    # Same float32 kernels on the same inputs: agreement to a few ulps (float32 eps is 1.2e-7; sums
    # over D_in=20 and N=8 terms can reorder). The expected values are O(1)-O(100), so rtol 1e-5
    # separates "same computation" from any real difference (one wrong step would be ~1e-3 off).
    tol = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(graph_result["y_pred"], y_pred.numpy(), **tol)
    np.testing.assert_allclose(graph_result["loss"], loss.numpy(), **tol)
    np.testing.assert_allclose(graph_result["grad_w1"], grad_w1.numpy(), **tol)
    np.testing.assert_allclose(graph_result["grad_w2"], grad_w2.numpy(), **tol)
    np.testing.assert_allclose(graph_result["new_w1"], w1.numpy(), **tol)
    np.testing.assert_allclose(graph_result["new_w2"], w2.numpy(), **tol)
    # and the step did something: the updated weights differ from the initial ones
    assert not np.allclose(graph_result["new_w2"], w2_0)


def _assign_inputs(read_before_write) -> set:
    """Every control input in a graph where an assign is built inside ``read_before_write(v1, loss)``,
    and the loss op's name. (With TF2's resource variables the edge lands on the ops that read the
    weight for the update, which the assign waits for.)"""
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph:
        w = v1.Variable(v1.ones((2, 2)))
        loss = tf.reduce_sum(w * 2.0)
        with read_before_write(v1, loss):
            w.assign(w - 1.0)
        return {i.name for op in graph.get_operations() for i in op.control_inputs}, loss.op.name


def test_read_before_write_orders_the_assign_after_the_reads():
    """catalog tf1-assign-race: the legacy variant builds its assigns inside read_before_write, which
    makes each wait for the loss (and the gradients); the 2017 code, as published, had no such edge."""
    from shims.tf1 import read_before_write

    inputs, loss_op = _assign_inputs(read_before_write)
    assert loss_op in inputs


def test_read_before_write_as_published_adds_nothing():
    import importlib.util

    spec = importlib.util.spec_from_file_location("as_published_tf1", ROOT / "matrix" / "as_published" / "shims" / "tf1.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inputs, loss_op = _assign_inputs(module.read_before_write)
    assert loss_op not in inputs
