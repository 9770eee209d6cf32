"""Data for training: the mini-batch ``DataLoader`` and small synthetic ``datasets``.

>>> from tinygrad_edu.data import DataLoader, datasets
>>> X, y = datasets.logic_gate("or")
>>> len(DataLoader(X, y, batch_size=4))
1

Read next: ``loader.py``, then ``datasets.py``, then ``../train.py``.
"""

from . import datasets
from .loader import DataLoader

__all__ = ["DataLoader", "datasets"]
