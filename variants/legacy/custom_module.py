"""PyTorch: Custom nn Modules. The two-layer network as a subclass of torch.nn.Module, trained with
torch.optim.SGD (legacy era, PyTorch 0.1-0.3, 2017).
"""
# Code in file nn/two_layer_net_module.py
import torch
from torch.autograd import Variable

from shims.flags import tutorial_flags
from shims.torch_legacy import MSELoss, item0

# --steps, --seed, --device cpu|cuda, --log-every (default: every step, as the tutorial printed)
args = tutorial_flags(steps=500, log_every=1)


class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        """
        In the constructor we instantiate two nn.Linear modules and assign them as
        member variables.
        """
        super(TwoLayerNet, self).__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        """
        In the forward function we accept a Variable of input data and we must return
        a Variable of output data. We can use Modules defined in the constructor as
        well as arbitrary operators on Variables.
        """
        h_relu = self.linear1(x).clamp(min=0)
        y_pred = self.linear2(h_relu)
        return y_pred


# The tutorial's nn examples run on the CPU only; --device picks the tensor type, as the earlier
# examples do by editing a line (tutorial_flags has refused cuda where there is none).
dtype = torch.cuda.FloatTensor if args.device == "cuda" else torch.FloatTensor

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random Tensors to hold inputs and outputs, and wrap them in Variables
x = Variable(torch.randn(N, D_in).type(dtype))
y = Variable(torch.randn(N, D_out).type(dtype), requires_grad=False)

# Construct our model by instantiating the class defined above
model = TwoLayerNet(D_in, H, D_out)
model.type(dtype)

# Construct our loss function and an Optimizer. The call to model.parameters()
# in the SGD constructor will contain the learnable parameters of the two
# nn.Linear modules which are members of the model.
criterion = MSELoss(size_average=False)  # was: torch.nn.MSELoss(size_average=False)  (catalog: size-average)
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
for t in range(args.steps):
    # Forward pass: Compute predicted y by passing x to the model
    y_pred = model(x)

    # Compute and print loss
    loss = criterion(y_pred, y)
    if t % args.log_every == args.log_every - 1:
        print(t, item0(loss.data))  # was: print(t, loss.data[0])  (catalog: zero-dim-index)

    # Zero gradients, perform a backward pass, and update the weights.
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
