"""PyTorch: Tensors. The two-layer network with torch Tensors and a hand-written backward pass
(legacy era, PyTorch 0.1-0.3, 2017).

The device is chosen by the tensor type: ``dtype = torch.FloatTensor`` or ``torch.cuda.FloatTensor``.
"""
# Code in file tensor/two_layer_net_tensor.py
import torch

from shims.flags import tutorial_flags
from shims.torch_legacy import sum_as_number

# --steps, --seed, --device cpu|cuda, --log-every (default: every step, as the tutorial printed)
args = tutorial_flags(steps=500, log_every=1)

dtype = torch.FloatTensor
# dtype = torch.cuda.FloatTensor # Uncomment this to run on GPU
if args.device == "cuda":  # --device does the uncommenting (tutorial_flags has refused it without a GPU)
    dtype = torch.cuda.FloatTensor

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random input and output data
x = torch.randn(N, D_in).type(dtype)
y = torch.randn(N, D_out).type(dtype)

# Randomly initialize weights
w1 = torch.randn(D_in, H).type(dtype)
w2 = torch.randn(H, D_out).type(dtype)

learning_rate = 1e-6
for t in range(args.steps):
    # Forward pass: compute predicted y
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)

    # Compute and print loss
    # (PyTorch <= 0.3: Tensor.sum() returned a Python number, now a 0-dim tensor)
    # catalog: zero-dim-index (matrix/catalog.toml)
    loss = sum_as_number((y_pred - y).pow(2))  # was: loss = (y_pred - y).pow(2).sum()
    if t % args.log_every == args.log_every - 1:
        print(t, loss)

    # Backprop to compute gradients of w1 and w2 with respect to loss
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)

    # Update weights using gradient descent
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
