"""PyTorch: Defining new autograd functions. The two-layer network with ReLU as a custom autograd
Function written in the old style: an instance per call, non-static ``forward(self, input)``
(legacy era, PyTorch 0.1-0.3, 2017).
"""
# Code in file autograd/two_layer_net_custom_function.py
import torch
from torch.autograd import Variable

from shims.flags import tutorial_flags
from shims.torch_legacy import LegacyFunction, item0, zero_grad_

# --steps, --seed, --device cpu|cuda, --log-every (default: every step, as the tutorial printed)
args = tutorial_flags(steps=500, log_every=1)


# The tutorial subclasses torch.autograd.Function; calling an instance of a Function with a
# non-static forward now raises, so the same class body subclasses LegacyFunction, which runs it
# through a static Function.
# catalog: legacy-autograd-function (matrix/catalog.toml)
class MyReLU(LegacyFunction):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function (here LegacyFunction, which runs the same old-style
    body on current torch) and implementing the forward and backward passes
    which operate on Tensors.
    """

    def forward(self, input):
        """
        In the forward pass we receive a Tensor containing the input and return a
        Tensor containing the output. You can cache arbitrary Tensors for use in the
        backward pass using the save_for_backward method.
        """
        self.save_for_backward(input)
        return input.clamp(min=0)

    def backward(self, grad_output):
        """
        In the backward pass we receive a Tensor containing the gradient of the loss
        with respect to the output, and we need to compute the gradient of the loss
        with respect to the input.
        """
        input, = self.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


dtype = torch.FloatTensor
# dtype = torch.cuda.FloatTensor # Uncomment this to run on GPU
if args.device == "cuda":  # --device does the uncommenting (tutorial_flags has refused it without a GPU)
    dtype = torch.cuda.FloatTensor

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random Tensors to hold input and outputs, and wrap them in Variables.
x = Variable(torch.randn(N, D_in).type(dtype), requires_grad=False)
y = Variable(torch.randn(N, D_out).type(dtype), requires_grad=False)

# Create random Tensors for weights, and wrap them in Variables.
w1 = Variable(torch.randn(D_in, H).type(dtype), requires_grad=True)
w2 = Variable(torch.randn(H, D_out).type(dtype), requires_grad=True)

learning_rate = 1e-6
for t in range(args.steps):
    # Construct an instance of our MyReLU class to use in our network
    # We need to construct the instance in each iteration, or when we try
    # to backward through the graph a second time, the buffers will have already
    # been freed.
    relu = MyReLU()

    # Forward pass: compute predicted y using operations on Variables; we compute
    # ReLU using our custom autograd operation.
    y_pred = relu(x.mm(w1)).mm(w2)

    # Compute and print loss
    loss = (y_pred - y).pow(2).sum()
    if t % args.log_every == args.log_every - 1:
        print(t, item0(loss.data))  # was: print(t, loss.data[0])  (catalog: zero-dim-index)

    # Manually zero the gradients before running the backward pass
    # (was: w1.grad.data.zero_(); w2.grad.data.zero_(), which raises in the first
    # iteration, where no backward has created w1.grad yet: zero_grad_ skips a None grad)
    # catalog: grad-none-zero (matrix/catalog.toml)
    zero_grad_(w1, w2)

    # Use autograd to compute the backward pass.
    loss.backward()

    # Update weights using gradient descent
    w1.data -= learning_rate * w1.grad.data
    w2.data -= learning_rate * w2.grad.data
