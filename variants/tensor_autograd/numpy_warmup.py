# -*- coding: utf-8 -*-
"""Warm-up: numpy. A two-layer ReLU network fit to random data with NumPy alone (tensor_autograd era,
PyTorch 0.4-1.x tutorial, 2019).

Forward and backward passes written by hand; plain gradient descent. This version of the tutorial
still prints the loss at every step here (its torch examples print every 100th).
"""
import numpy as np

from shims.flags import tutorial_flags

# --steps, --seed (seeds NumPy), --device (cpu only), --log-every (default: every step)
args = tutorial_flags(steps=500, log_every=1, backend="numpy")

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random input and output data
x = np.random.randn(N, D_in)
y = np.random.randn(N, D_out)

# Randomly initialize weights
w1 = np.random.randn(D_in, H)
w2 = np.random.randn(H, D_out)

learning_rate = 1e-6
for t in range(args.steps):
    # Forward pass: compute predicted y
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)

    # Compute and print loss
    loss = np.square(y_pred - y).sum()
    if t % args.log_every == args.log_every - 1:
        print(t, loss)

    # Backprop to compute gradients of w1 and w2 with respect to loss
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)

    # Update weights
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
