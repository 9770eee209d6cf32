"""The one random generator every draw of the library comes from.

``manual_seed(seed)`` replaces it, so the same seed gives the same run: parameter
initialisation, ``rand``/``randn``, dropout masks and DataLoader shuffling.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

_generator = np.random.default_rng()


class _Draws(threading.local):
    """Per thread: while tinygrad_edu.compile traces a call, ``refuse()`` raises for
    a draw (a recording would repeat the same numbers at every call)."""

    refuse: Callable[[], None] | None = None


draws = _Draws()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random draw of tinygrad_edu; returns the new generator.

    >>> import tinygrad_edu as tg
    >>> _ = tg.manual_seed(0); a = tg.randn(2)
    >>> _ = tg.manual_seed(0); bool((a == tg.randn(2)).all())
    True
    """
    global _generator
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"manual_seed: the seed must be a non-negative int, got {seed!r}"
        )
    if seed < 0:
        raise ValueError(
            f"manual_seed: the seed must be a non-negative int, got {seed}"
        )
    _generator = np.random.default_rng(seed)
    return _generator


def get_rng() -> np.random.Generator:
    """The library's current generator (use, don't keep it: manual_seed replaces it).
    Every draw of the library asks here, so a draw while this thread traces a
    compiled function raises (other threads draw as they like)."""
    if draws.refuse is not None:
        draws.refuse()
    return _generator
