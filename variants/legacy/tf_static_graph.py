# -*- coding: utf-8 -*-
"""TensorFlow: Static Graphs. A two-layer ReLU net fit to random data with a TensorFlow 1 graph.

Legacy era (2017 tutorial, PyTorch 0.1-0.3; TensorFlow 1.x), code as published ("Code in file
autograd/tf_two_layer_net.py"). Ours: the command line (shims/flags.py), seeding, printing the step
with the loss (the 2017 copy printed only ``loss_value``), and ``shims.tf1.graph_mode()``, which makes
this TF1 code run on TensorFlow 2.x (where ``tf.placeholder`` is gone: see shims/tf1.py).
"""
import numpy as np

from shims.flags import tutorial_flags
from shims.tf1 import graph_mode, read_before_write

args = tutorial_flags(steps=500, log_every=1, backend="tensorflow")  # seeds numpy
tf = graph_mode(args.device)  # TensorFlow 1.x: `import tensorflow as tf`  (catalog: tf1-graph-on-tf2)
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
# given in no fixed order, and the 2017 copy (which had no such line) prints other losses from run
# to run on TensorFlow 1, or nan (catalog: tf1-assign-race). `read_before_write(tf, ...)` is tf.control_dependencies([...]).
with read_before_write(tf, loss, grad_w1, grad_w2):
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
