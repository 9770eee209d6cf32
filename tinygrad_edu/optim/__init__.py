"""Optimizers, named and behaving as ``torch.optim``'s (SGD as the lecture's Keras).

Each optimizer is an ``__init__`` naming its hyper-parameters plus an ``_update`` of
a few NumPy lines on one parameter; the base class (``optimizer.py``) does the rest.
``lr_scheduler`` holds the learning-rate schedules.

>>> import tinygrad_edu as tg
>>> from tinygrad_edu import nn, optim
>>> model = nn.Linear(3, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> loss = ((model(tg.ones(4, 3)) - 1.0) ** 2).mean()
>>> opt.zero_grad(); loss.backward(); opt.step()

Read next: ``optim/optimizer.py``.
"""

from __future__ import annotations

from . import lr_scheduler
from .optimizer import Optimizer

# sorted in order of increasing complexity
from .sgd import SGD  # isort: skip
from .adagrad import Adagrad  # isort: skip
from .rmsprop import RMSprop  # isort: skip
from .adam import Adam, AdamW  # isort: skip

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
