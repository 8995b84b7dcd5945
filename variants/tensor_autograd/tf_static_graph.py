# -*- coding: utf-8 -*-
"""TensorFlow: Static Graphs. A two-layer ReLU net fit to random data with a TensorFlow 1 graph.

Tensor-autograd era (2019 tutorial, PyTorch 0.4-1.x; TensorFlow 1.x), code as published; the
comments are the English original's. Ours: the command line below (--steps, --seed, --device,
--log-every) and the seeding, inlined (the four flags of shims/flags.py) so that this file stands
alone, and the few lines after it that run this TF1 code on TensorFlow 2.x (shims/tf1.py's
``graph_mode()``, inlined).
"""
import argparse

import numpy as np
import tensorflow as tf

# Command line (not in the tutorial): the four flags of shims/flags.py, inlined so this file stands alone.
parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--steps", type=int, default=500, help="training steps (default 500)")
parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to compute (default cpu)")
parser.add_argument("--log-every", type=int, default=100, help="print the loss every K steps (default 100)")
args = parser.parse_args()
if args.steps < 1 or args.log_every < 1:
    parser.error("--steps and --log-every must be at least 1")
if args.device == "cuda" and not tf.config.list_physical_devices("GPU"):
    parser.exit(69, f"{parser.prog}: error: --device cuda: TensorFlow {tf.__version__} sees no GPU"
                    " (tf.config.list_physical_devices('GPU') is empty)\n")
np.random.seed(args.seed)  # x_value, y_value below

# TF1 graph code on TensorFlow 2 (not in the tutorial). catalog: tf1-graph-on-tf2 (matrix/catalog.toml)
if not hasattr(tf, "placeholder"):
    if args.device == "cpu":
        tf.config.set_visible_devices([], "GPU")  # else TensorFlow places the graph on a GPU it sees
    tf.compat.v1.disable_eager_execution()
    tf = tf.compat.v1
tf.set_random_seed(args.seed)  # graph-level seed: tf.random_normal below draws the same each run

# First we set up the computational graph:

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create placeholders for the input and target data; these will be filled
# with real data when we execute the graph.
x = tf.placeholder(tf.float32, shape=(None, D_in))
y = tf.placeholder(tf.float32, shape=(None, D_out))

# Create Variables for the weights and initialize them with random data.
# A TensorFlow Variable persists its value across executions of the graph.
w1 = tf.Variable(tf.random_normal((D_in, H)))
w2 = tf.Variable(tf.random_normal((H, D_out)))

# Forward pass: Compute the predicted y using operations on TensorFlow Tensors.
# Note that this code does not actually perform any numeric operations; it
# merely sets up the computational graph that we will later execute.
h = tf.matmul(x, w1)
h_relu = tf.maximum(h, tf.zeros(1))
y_pred = tf.matmul(h_relu, w2)

# Compute loss using operations on TensorFlow Tensors
loss = tf.reduce_sum((y - y_pred) ** 2.0)

# Compute gradient of the loss with respect to w1 and w2.
grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])

# Update the weights using gradient descent. To actually update the weights
# we need to evaluate new_w1 and new_w2 when executing the graph. Note that
# in TensorFlow the act of updating the value of the weights is part of
# the computational graph; in PyTorch this happens outside the computational
# graph.
learning_rate = 1e-6
# The assigns must wait for the loss and the gradients that read w1 and w2: sess.run runs the ops it is
# given in no fixed order, and without this line the graph prints other losses from run to run on
# TensorFlow 1, or nan (catalog: tf1-assign-race).
with tf.control_dependencies([loss, grad_w1, grad_w2]):
    new_w1 = w1.assign(w1 - learning_rate * grad_w1)
    new_w2 = w2.assign(w2 - learning_rate * grad_w2)

# Now we have built our computational graph, so we enter a TensorFlow session to
# actually execute the graph.
with tf.Session() as sess:
    # Run the graph once to initialize the Variables w1 and w2.
    sess.run(tf.global_variables_initializer())

    # Create numpy arrays holding the actual data for the inputs x and targets y
    x_value = np.random.randn(N, D_in)
    y_value = np.random.randn(N, D_out)
    for t in range(args.steps):
        # Execute the graph many times. Each time it executes we want to bind
        # x_value to x and y_value to y, specified with the feed_dict argument.
        # Each time we execute the graph we want to compute the values for loss,
        # new_w1, and new_w2; the values of these Tensors are returned as numpy
        # arrays.
        loss_value, _, _ = sess.run([loss, new_w1, new_w2],
                                    feed_dict={x: x_value, y: y_value})
        if t % args.log_every == args.log_every - 1:
            print(t, loss_value)
