# -*- coding: utf-8 -*-
"""TensorFlow 2: tf.function graphs. Fit y = sin(x) with a third order polynomial, gradients from tf.GradientTape.

Modern era. The tutorial dropped its "TensorFlow: Static Graphs" section (a TensorFlow 1 two-layer
net: placeholders, tf.Session, feed_dict; see variants/*/tf_static_graph.py). This is the same idea
in idiomatic TensorFlow 2, on the modern running example: the Python train step is traced once into
a static graph by @tf.function and that graph is run every step. Plain gradient descent, as in the
numpy and tensors variants. It imports only the standard library and tensorflow; the command line
is that of shims/flags.py, inlined.
"""
import argparse
import math

import tensorflow as tf

# Command line (not in the tutorial): the four flags of shims/flags.py, inlined so this file stands alone.
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=2000, help="training steps (default 2000)")
parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to compute (default cpu)")
parser.add_argument("--log-every", type=int, default=100, help="print the loss every K steps (default 100)")
args = parser.parse_args()
if args.steps < 1 or args.log_every < 1:
    parser.error("--steps and --log-every must be at least 1")
if args.device == "cuda" and not tf.config.list_physical_devices("GPU"):
    parser.exit(69, f"{parser.prog}: error: --device cuda: TensorFlow {tf.__version__} sees no GPU"
                    " (tf.config.list_physical_devices('GPU') is empty)\n")
tf.random.set_seed(args.seed)
device = "/GPU:0" if args.device == "cuda" else "/CPU:0"

with tf.device(device):
    # Create input and output data. In TensorFlow 2 these are ordinary (eager)
    # Tensors: no placeholders, no feed_dict.
    x = tf.linspace(-math.pi, math.pi, 2000)
    y = tf.sin(x)

    # Randomly initialize weights. A tf.Variable holds state that persists
    # across calls of the graph; tf.GradientTape watches it automatically.
    a = tf.Variable(tf.random.normal(()))
    b = tf.Variable(tf.random.normal(()))
    c = tf.Variable(tf.random.normal(()))
    d = tf.Variable(tf.random.normal(()))

learning_rate = 1e-6


# @tf.function traces this Python function once into a static TensorFlow graph
# and then runs that graph on each call: the TF1 "build the graph, then run it
# in a Session" split, without Sessions.
@tf.function
def train_step():
    # Forward pass: compute predicted y and the loss, recording the operations
    # on a tape so that gradients can be computed from them.
    with tf.GradientTape() as tape:
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = tf.reduce_sum((y_pred - y) ** 2)

    # Backward pass: gradient of the loss with respect to a, b, c, d
    # (tf.gradients in TensorFlow 1).
    grad_a, grad_b, grad_c, grad_d = tape.gradient(loss, [a, b, c, d])

    # Update the weights using gradient descent. As in TensorFlow 1, updating a
    # Variable is an operation inside the graph.
    a.assign_sub(learning_rate * grad_a)
    b.assign_sub(learning_rate * grad_b)
    c.assign_sub(learning_rate * grad_c)
    d.assign_sub(learning_rate * grad_d)
    return loss


with tf.device(device):
    for t in range(args.steps):
        # Each call runs the traced graph: loss before this step's update.
        loss = train_step()
        if t % args.log_every == args.log_every - 1:
            print(t, loss.numpy())

print(f'Result: y = {a.numpy()} + {b.numpy()} x + {c.numpy()} x^2 + {d.numpy()} x^3')
