"""``shims.tf1``'s name doing what the tutorial's TensorFlow code did in its place (2017 and 2019
alike): ``import tensorflow as tf``, then the TensorFlow 1 graph API."""
import contextlib


def graph_mode(device="cpu"):
    """was: ``import tensorflow as tf`` (then ``tf.set_random_seed``, ``tf.placeholder``, ``tf.Session``)."""
    import tensorflow as tf

    return tf


def read_before_write(tf, *reads):
    """was: nothing. The tutorial built ``w1.assign(...)`` with no control dependency on the loss and the
    gradients that read ``w1`` (catalog: tf1-assign-race)."""
    return contextlib.nullcontext()
