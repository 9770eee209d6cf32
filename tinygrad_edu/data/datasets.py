"""Small synthetic datasets from the lecture: logic gates, spirals, moons, blobs, lines.

Every function returns NumPy arrays ``(X, y)``: features in the default float dtype
(``get_default_dtype()``, float32 unless changed), so they mix with a model's
parameters without dtype promotion. Class labels are ``int64`` indices (what
``cross_entropy`` wants); truth tables and regression targets are floats.

Randomness: ``seed=None`` draws from the library generator, so
``tinygrad_edu.manual_seed`` makes the data reproducible; an int seed gives the
function its own generator (same seed, same data).

Read next: ``loader.py`` (how the data is cut into mini-batches).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._rng import get_rng
from ..dtypes import get_default_dtype

__all__ = [
    "logic_gate", "spiral", "moons", "blobs", "linear_regression", "digits", "GATES",
    "DIGIT_GLYPHS",
]

# truth tables of two-input gates, rows in the order of _GATE_INPUTS
GATES: dict[str, tuple[int, int, int, int]] = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
}
_GATE_INPUTS = ((0, 0), (0, 1), (1, 0), (1, 1))


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """The library generator for ``None`` (read now: manual_seed replaces it)."""
    if seed is None:
        return get_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_positive(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_noise(noise: float) -> float:
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise}")
    return float(noise)


def logic_gate(name: str, signed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a two-input logic gate, as a dataset.

    Rows are the inputs ``(0,0), (0,1), (1,0), (1,1)``. AND, OR, NAND and NOR are
    linearly separable (a perceptron learns them); XOR is not.

    Parameters
    ----------
    name : {"and", "or", "nand", "nor", "xor"}
        The gate (case-insensitive).
    signed : bool, default False
        Labels in {-1, +1} (for ``perceptron_loss``/``hinge_loss``) instead of {0, 1}.

    Returns
    -------
    X : ndarray, shape (4, 2)
        The inputs, in {0, 1}, default float dtype.
    y : ndarray, shape (4,)
        The outputs, in {0, 1} (or {-1, +1}), default float dtype.

    Examples
    --------
    >>> X, y = logic_gate("and")
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 0.0, 0.0, 1.0])
    >>> logic_gate("xor", signed=True)[1].tolist()
    [-1.0, 1.0, 1.0, -1.0]
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in GATES:
        raise ValueError(
            f"logic_gate: unknown gate {name!r}; choose one of {sorted(GATES)}"
        )
    dtype = get_default_dtype()
    X = np.array(_GATE_INPUTS, dtype=dtype)
    y = np.array(GATES[key], dtype=dtype)
    if signed:
        y = 2 * y - 1
    return X, y


def spiral(
    n_per_class: int = 100,
    n_classes: int = 3,
    noise: float = 0.2,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (CS231n's toy problem; not separable).

    Arm ``k`` has points at radius ``r = i/(n-1)`` and angle
    ``t = 4k + 4r + noise·N(0,1)``; the point is ``(r sin t, r cos t)``.

    Parameters
    ----------
    n_per_class : int, default 100
    n_classes : int, default 3
    noise : float, default 0.2
        Standard deviation of the angular noise.
    seed : int, optional
        ``None`` draws from the ``manual_seed`` stream.

    Returns
    -------
    X : ndarray, shape (n_per_class * n_classes, 2)
    y : ndarray of int64, shape (n_per_class * n_classes,)
        The arm (class) of each point, grouped by class.

    Examples
    --------
    >>> X, y = spiral(n_per_class=5, n_classes=2, seed=0)
    >>> X.shape, y.tolist()
    ((10, 2), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    n = _check_positive("n_per_class", n_per_class)
    k = _check_positive("n_classes", n_classes)
    noise = _check_noise(noise)
    rng = _generator(seed)
    r = np.linspace(0.0, 1.0, n)
    xs, ys = [], []
    for label in range(k):
        t = 4.0 * label + 4.0 * r + noise * rng.standard_normal(n)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n, label, dtype=np.int64))
    return np.concatenate(xs).astype(get_default_dtype()), np.concatenate(ys)


def moons(
    n: int = 100, noise: float = 0.1, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), shuffled.

    Class 0: ``(cos θ, sin θ)``; class 1: ``(1 − cos θ, 0.5 − sin θ)``, θ in
    [0, π], plus Gaussian noise of standard deviation ``noise`` on each coordinate.

    Parameters
    ----------
    n : int, default 100
        Total number of points (class 0 gets the extra one when ``n`` is odd).
    noise : float, default 0.1
    seed : int, optional
        ``None`` draws from the ``manual_seed`` stream.

    Returns
    -------
    X : ndarray, shape (n, 2)
    y : ndarray of int64, shape (n,)
        Labels in {0, 1} (use ``y.astype(X.dtype)`` for ``binary_cross_entropy``).

    Examples
    --------
    >>> X, y = moons(n=7, seed=0)
    >>> X.shape, int(y.sum())
    ((7, 2), 3)
    """
    n = _check_positive("n", n, minimum=2)
    noise = _check_noise(noise)
    rng = _generator(seed)
    n_outer = n - n // 2
    outer = np.linspace(0.0, np.pi, n_outer)
    inner = np.linspace(0.0, np.pi, n // 2)
    X = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n // 2, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order].astype(get_default_dtype()), y[order]


def blobs(
    n: int = 100,
    n_features: int = 2,
    centers: int | Sequence[Sequence[float]] | np.ndarray = 3,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters ("blobs"), one per class, shuffled.

    Class ``k`` is ``N(c_k, cluster_std² I)``. With an int ``centers``, the centres
    ``c_k`` are drawn uniformly in ``center_box``.

    Parameters
    ----------
    n : int, default 100
        Total number of points, split as evenly as possible between the classes.
    n_features : int, default 2
        Ignored when ``centers`` is an array (its second axis sets it).
    centers : int or array_like of shape (k, n_features), default 3
    cluster_std : float, default 1.0
    center_box : (float, float), default (-10, 10)
    seed : int, optional
        ``None`` draws from the ``manual_seed`` stream.

    Returns
    -------
    X : ndarray, shape (n, n_features)
    y : ndarray of int64, shape (n,)

    Examples
    --------
    >>> X, y = blobs(n=6, centers=[[0.0, 0.0], [5.0, 5.0]], cluster_std=0.1, seed=0)
    >>> X.shape, sorted(y.tolist())
    ((6, 2), [0, 0, 0, 1, 1, 1])
    """
    n = _check_positive("n", n)
    rng = _generator(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _check_positive("centers", centers)
        d = _check_positive("n_features", n_features)
        lo, hi = center_box
        means = rng.uniform(lo, hi, size=(k, d))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2 or len(means) == 0:
            raise ValueError(
                "blobs: centers must be an int or a (k, n_features) array, "
                f"got shape {means.shape}"
            )
        if not np.isfinite(means).all():
            raise ValueError("blobs: centers contain NaN or infinity")
        k = len(means)
    if not np.isfinite(cluster_std) or cluster_std < 0:
        raise ValueError(
            f"blobs: cluster_std must be a finite number >= 0, got {cluster_std}"
        )
    y = np.arange(n, dtype=np.int64) % k  # as even a split as possible
    X = means[y] + cluster_std * rng.standard_normal((n, means.shape[1]))
    order = rng.permutation(n)
    return X[order].astype(get_default_dtype()), y[order]


def linear_regression(
    n: int = 100,
    n_features: int = 3,
    n_irrelevant: int = 0,
    noise: float = 0.1,
    coef: Sequence[float] | np.ndarray | None = None,
    intercept: float = 1.0,
    seed: int | None = None,
    return_coef: bool = False,
) -> tuple[np.ndarray, ...]:
    """Data from a known linear model: ``y_i = wᵀx_i + w_0 + noise·ε_i``.

    ``x_i ~ N(0, I)``. The first ``n_features`` columns are relevant (true weights
    ``coef``); the last ``n_irrelevant`` columns are pure noise (true weight 0), so
    feature relevance can be shown, e.g. by Lasso zeroing them.

    Parameters
    ----------
    n : int, default 100
        Number of samples.
    n_features : int, default 3
        Number of relevant features.
    n_irrelevant : int, default 0
        Number of extra features that do not affect ``y``.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise ``ε``.
    coef : array_like of shape (n_features,), optional
        True weights of the relevant features. By default drawn with magnitudes
        uniform in [1, 3] and random signs (clearly non-zero).
    intercept : float, default 1.0
        The true offset ``w_0``.
    seed : int, optional
        ``None`` draws from the ``manual_seed`` stream.
    return_coef : bool, default False
        Also return the true weights of all ``n_features + n_irrelevant`` columns
        (zeros for the irrelevant ones).

    Returns
    -------
    X : ndarray, shape (n, n_features + n_irrelevant)
    y : ndarray, shape (n,)
    coef : ndarray of float64, shape (n_features + n_irrelevant,)
        Only with ``return_coef=True``.

    Examples
    --------
    >>> X, y, w = linear_regression(n=4, n_features=2, n_irrelevant=1,
    ...                             coef=[2.0, -1.0], seed=0, return_coef=True)
    >>> X.shape, y.shape, w.tolist()
    ((4, 3), (4,), [2.0, -1.0, 0.0])
    """
    n = _check_positive("n", n)
    d = _check_positive("n_features", n_features, minimum=0)
    extra = _check_positive("n_irrelevant", n_irrelevant, minimum=0)
    noise = _check_noise(noise)
    if d + extra == 0:
        raise ValueError("linear_regression: n_features + n_irrelevant must be >= 1")
    if not np.isfinite(intercept):
        raise ValueError(
            f"linear_regression: intercept must be finite, got {intercept}"
        )
    rng = _generator(seed)
    if coef is None:
        w = rng.uniform(1.0, 3.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    else:
        w = np.asarray(coef, dtype=np.float64).reshape(-1)
        if w.shape != (d,):
            raise ValueError(
                f"linear_regression: coef has {w.size} values but n_features is {d}"
            )
        if not np.isfinite(w).all():
            raise ValueError("linear_regression: coef contains NaN or infinity")
    w = np.concatenate([w, np.zeros(extra)])
    X = rng.standard_normal((n, d + extra))
    y = X @ w + intercept + noise * rng.standard_normal(n)
    dtype = get_default_dtype()
    if return_coef:
        return X.astype(dtype), y.astype(dtype), w
    return X.astype(dtype), y.astype(dtype)


# ---- digits: a small image dataset the package draws itself (no download) ----------

# a 5×7 bitmap font of the digits 0-9 ("#" = ink), the classic LCD/terminal shapes
DIGIT_GLYPHS: tuple[tuple[str, ...], ...] = (
    (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    ("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
    ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
)


def _glyph_bitmaps() -> np.ndarray:
    """The font as a (10, 7, 5) array of 0/1."""
    rows = [[[c == "#" for c in row] for row in glyph] for glyph in DIGIT_GLYPHS]
    return np.array(rows)


def digits(
    n: int = 1000, seed: int | None = None, noise: float = 0.2, size: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Images of handwritten-looking digits drawn from a 5×7 bitmap font: each glyph
    placed at a random position on a ``size``×``size`` canvas, its ink at a random
    intensity in [0.6, 1], about 5% of its strokes dropped, plus Gaussian noise.

    A stand-in for MNIST that needs no download: position varies by up to
    ``size − 5`` pixels, so a model has to be translation invariant (a CNN's forte).

    Parameters
    ----------
    n : int, default 1000
        Number of images; the labels 0-9 are balanced (n // 10 each, the rest spread).
    seed : int, optional
        ``None`` draws from the ``manual_seed`` stream.
    noise : float, default 0.2
        Standard deviation of the pixel noise (ink is 0.6-1, background 0).
    size : int, default 12
        Height and width of the images (at least 7).

    Returns
    -------
    X : ndarray, shape (n, 1, size, size), in the default float dtype
        NCHW images, ready for ``nn.Conv2d``.
    y : ndarray of int64, shape (n,)
        The digit in each image, shuffled.

    Examples
    --------
    >>> X, y = digits(n=20, seed=0)
    >>> X.shape, X.dtype, sorted(set(y.tolist())) == list(range(10))
    ((20, 1, 12, 12), dtype('float32'), True)
    """
    n = _check_positive("n", n)
    size = _check_positive("size", size, minimum=7)
    noise = _check_noise(noise)
    rng = _generator(seed)
    y = rng.permutation(np.arange(n, dtype=np.int64) % 10)
    ink = _glyph_bitmaps()[y] * rng.uniform(0.6, 1.0, (n, 1, 1))
    ink *= rng.random(ink.shape) >= 0.05  # a few missing stroke pixels
    X = noise * rng.standard_normal((n, size, size))
    rows = rng.integers(0, size - 7 + 1, n)
    cols = rng.integers(0, size - 5 + 1, n)
    # each glyph added at its own offset: fancy indexing of all n images at once
    r = rows[:, None, None] + np.arange(7)[None, :, None]
    c = cols[:, None, None] + np.arange(5)[None, None, :]
    X[np.arange(n)[:, None, None], r, c] += ink
    return X[:, None].astype(get_default_dtype()), y

