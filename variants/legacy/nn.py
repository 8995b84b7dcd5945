"""PyTorch: nn. The two-layer network as a torch.nn.Sequential, summed squared error from
``MSELoss(size_average=False)``, weights updated through ``.data`` (legacy era, PyTorch 0.1-0.3, 2017).
"""
# Code in file nn/two_layer_net_nn.py
import torch
from torch.autograd import Variable

from shims.flags import tutorial_flags
from shims.torch_legacy import MSELoss, item0

# --steps, --seed, --device cpu|cuda, --log-every (default: every step, as the tutorial printed)
args = tutorial_flags(steps=500, log_every=1)

# The tutorial's nn examples run on the CPU only; --device picks the tensor type, as the earlier
# examples do by editing a line (tutorial_flags has refused cuda where there is none).
dtype = torch.cuda.FloatTensor if args.device == "cuda" else torch.FloatTensor

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random Tensors to hold inputs and outputs, and wrap them in Variables.
x = Variable(torch.randn(N, D_in).type(dtype))
y = Variable(torch.randn(N, D_out).type(dtype), requires_grad=False)

# Use the nn package to define our model as a sequence of layers. nn.Sequential
# is a Module which contains other Modules, and applies them in sequence to
# produce its output. Each Linear Module computes output from input using a
# linear function, and holds internal Variables for its weight and bias.
model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H),
    torch.nn.ReLU(),
    torch.nn.Linear(H, D_out),
)
model.type(dtype)

# The nn package also contains definitions of popular loss functions; in this
# case we will use Mean Squared Error (MSE) as our loss function.
# (was: torch.nn.MSELoss(size_average=False), which now warns; the shim builds
# the same loss with reduction='sum'.) catalog: size-average (matrix/catalog.toml)
loss_fn = MSELoss(size_average=False)

learning_rate = 1e-4
for t in range(args.steps):
    # Forward pass: compute predicted y by passing x to the model. Module objects
    # override the __call__ operator so you can call them like functions. When
    # doing so you pass a Variable of input data to the Module and it produces
    # a Variable of output data.
    y_pred = model(x)

    # Compute and print loss. We pass Variables containing the predicted and true
    # values of y, and the loss function returns a Variable containing the loss.
    loss = loss_fn(y_pred, y)
    if t % args.log_every == args.log_every - 1:
        print(t, item0(loss.data))  # was: print(t, loss.data[0])  (catalog: zero-dim-index)

    # Zero the gradients before running the backward pass.
    model.zero_grad()

    # Backward pass: compute gradient of the loss with respect to all the learnable
    # parameters of the model. Internally, the parameters of each Module are stored
    # in Variables with requires_grad=True, so this call will compute gradients for
    # all learnable parameters in the model.
    loss.backward()

    # Update the weights using gradient descent. Each parameter is a Variable, so
    # we can access its data and gradients like we did before.
    for param in model.parameters():
        param.data -= learning_rate * param.grad.data
