"""``shims.tf1``'s name doing what the tutorial's TensorFlow code did in its place (2017 and 2019
alike): ``import tensorflow as tf``, then the TensorFlow 1 graph API."""


def graph_mode(device="cpu"):
    """was: ``import tensorflow as tf`` (then ``tf.set_random_seed``, ``tf.placeholder``, ``tf.Session``)."""
    import tensorflow as tf

    return tf
