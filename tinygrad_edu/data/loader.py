"""DataLoader: shuffle the data each epoch and cut it into mini-batches.

The lecture's recipe for training: (1) in each epoch, randomly shuffle the training
data; (2) partition it into mini-batches; (3) take one gradient step per mini-batch;
(4) repeat for several epochs. This file does steps 1 and 2; ``train.py`` does 3 and 4.

The data is stored once, as arrays. An epoch costs one index permutation; each batch
is ``X[idx]`` (NumPy fancy indexing), so the dataset itself is never copied.

Read next: ``datasets.py`` (toy data to load) and ``../train.py`` (the loop).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .._rng import get_rng
from ..dtypes import get_default_dtype
from ..tensor import Tensor


def _as_array(data: Any, what: str) -> np.ndarray:
    """``data`` (array, nested list or Tensor) as an ndarray; arrays are not copied."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray):
        return data
    try:
        array = np.asarray(data)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"DataLoader: {what} must be rectangular: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: {what} must be numeric, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        array = array.astype(get_default_dtype())  # Python floats follow Tensor's rule
    return array


def _features(X: Any) -> np.ndarray:
    """Features are floating: bools and ints become the default float dtype."""
    X = _as_array(X, "X")
    if X.dtype.kind in "biu":
        X = X.astype(get_default_dtype())
    elif X.dtype.kind != "f":
        raise TypeError(f"DataLoader: X must be numeric, got dtype {X.dtype}")
    return X


def _labels(y: Any) -> np.ndarray:
    """Integer labels become int64 (class indices); float targets keep their dtype."""
    y = _as_array(y, "y")
    if y.dtype.kind in "iu" and y.dtype != np.int64:
        y = y.astype(np.int64)
    elif y.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: y must be numeric, got dtype {y.dtype}")
    return y


class DataLoader:
    """Mini-batches of ``(X, y)``, in a fresh random order every epoch.

    Each ``for xb, yb in loader`` is one epoch: a new permutation of the sample
    indices is drawn, and every sample appears in exactly one batch.

    Parameters
    ----------
    X : array_like or Tensor, shape (n, ...)
        Features. Integer or boolean features become the default float dtype
        (``get_default_dtype()``); floating arrays keep their dtype; Python float
        lists become the default float dtype, as for ``Tensor``.
    y : array_like or Tensor, shape (n, ...)
        Targets. Integer labels become ``int64`` (class indices for
        ``cross_entropy``); floating targets keep their dtype.
    batch_size : int, default 32
        Samples per batch; the last batch may be smaller unless ``drop_last``.
    shuffle : bool, default True
        Draw a new permutation each epoch (else keep the stored order).
    drop_last : bool, default False
        Skip the final batch when it has fewer than ``batch_size`` samples.
    seed : int, optional
        ``None`` draws the permutations from the library generator, so
        ``tinygrad_edu.manual_seed`` makes them reproducible; an int gives this
        loader its own generator (the same seed gives the same epochs).

    Raises
    ------
    ValueError
        If X and y differ in length, the data is empty, ``batch_size < 1``, or X
        (or floating y) holds NaN or infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_edu.data import DataLoader
    >>> X, y = np.arange(10).reshape(5, 2), [0, 1, 0, 1, 1]
    >>> loader = DataLoader(X, y, batch_size=2, seed=0)
    >>> len(loader)
    3
    >>> [xb.shape for xb, yb in loader]
    [(2, 2), (2, 2), (1, 2)]
    >>> sorted(int(i) for _, yb in loader for i in yb.numpy())   # every sample once
    [0, 0, 1, 1, 1]
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        X, y = _features(X), _labels(y)
        if X.ndim == 0 or y.ndim == 0:
            raise ValueError(
                "DataLoader: X and y need a sample axis, "
                f"got shapes {X.shape} and {y.shape}"
            )
        if len(X) != len(y):
            raise ValueError(
                f"DataLoader: X has {len(X)} samples but y has {len(y)} "
                f"(shapes {X.shape} and {y.shape})"
            )
        if len(X) == 0:
            raise ValueError("DataLoader: the dataset is empty (0 samples)")
        if isinstance(batch_size, bool) or not isinstance(
            batch_size, (int, np.integer)
        ):
            raise TypeError(
                f"DataLoader: batch_size must be an int, got {batch_size!r}"
            )
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        if not np.isfinite(X).all():
            raise ValueError(
                "DataLoader: X contains NaN or infinity; clean the data first"
            )
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError(
                "DataLoader: y contains NaN or infinity; clean the data first"
            )
        self.X, self.y = X, y
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if seed is not None:  # as manual_seed: a non-negative int (NumPy's own
            # SeedSequence error would not name DataLoader)
            if isinstance(seed, (bool, np.bool_)) or not isinstance(
                seed, (int, np.integer)
            ):
                raise TypeError(
                    f"DataLoader: seed must be None or a non-negative int, got {seed!r}"
                )
            if seed < 0:
                raise ValueError(
                    f"DataLoader: seed must be None or a non-negative int, got {seed}"
                )
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    @property
    def n_samples(self) -> int:
        """Number of samples in the dataset."""
        return len(self.X)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        full, rest = divmod(self.n_samples, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n, size = self.n_samples, self.batch_size
        stop = n - n % size if self.drop_last else n
        if self.shuffle:
            # use the generator at iteration time: manual_seed replaces the library's
            rng = self._generator if self._generator is not None else get_rng()
            order = rng.permutation(n)
            for start in range(0, stop, size):
                idx = order[start : start + size]
                # take() is fancy indexing along axis 0, ~10% faster for a batch of rows
                batch_x, batch_y = self.X.take(idx, axis=0), self.y.take(idx, axis=0)
                yield Tensor._from_array(batch_x), Tensor._from_array(batch_y)
        else:
            for start in range(0, stop, size):  # slices are views: no copy at all
                s = slice(start, start + size)
                yield Tensor._from_array(self.X[s]), Tensor._from_array(self.y[s])

    def __repr__(self) -> str:
        return (
            f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})"
        )
