"""Neural-network building blocks, named as in ``torch.nn``.

``Module``/``Parameter`` and the containers (``module.py``), the layers and
activation modules (``layers.py``), initialisers (``init.py``) and losses
(``functional.py``, usually imported as ``F``).

>>> import tinygrad_edu as tg
>>> from tinygrad_edu import nn
>>> import tinygrad_edu.nn.functional as F
>>> model = nn.MLP([2, 4, 3])
>>> loss = F.cross_entropy(model(tg.randn(5, 2)), [0, 1, 2, 0, 1])
>>> loss.backward()
>>> model.layers[0].weight.grad.shape
(4, 2)

Read next: ``nn/module.py``.
"""

from __future__ import annotations

from . import functional, init
from .layers import (
    ELU, GELU, MLP, Dropout, Identity, LeakyReLU, Linear, Maxout, Perceptron, ReLU,
    Sigmoid, Softmax, Softplus, Step, Tanh,
)
from .module import Buffer, Module, ModuleList, Parameter, Sequential

# conv nets (issue 16)
from .conv import (  # noqa: E402
    AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Flatten, MaxPool2d,
)

__all__ = [
    "Module", "Parameter", "ModuleList", "Sequential", "Linear", "MLP", "Perceptron",
    "Maxout", "Dropout", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "ELU", "Softplus",
    "GELU", "Softmax", "Identity", "Step", "init", "functional",
    # conv nets
    "Buffer", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "Flatten",
]
