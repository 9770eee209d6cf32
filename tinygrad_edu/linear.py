"""Linear regression, the first half of the lecture: closed forms and gradient methods.

The model is ``f(x; w) = wᵀx + w_0`` on data ``D = {(x_1, y_1), ..., (x_n, y_n)}``,
stacked into a matrix ``X`` (one sample per row) and a vector ``y``.

* ``normal_equation``: least squares in closed form, ``XᵀX w = Xᵀy``.
* ``ridge``: the L2-penalised closed form ``w = (λI + XᵀX)⁻¹ Xᵀy``.
* ``LinearRegression``, ``Ridge``, ``Lasso``: the same problems solved by gradient
  descent with the engine (Tensors, ``backward``, ``optim.SGD``); Lasso (L1, no
  closed form, still convex) by proximal gradient descent.

The intercept ``w_0`` is never penalised. Every solver handles it the same way:
centre the data (``X − x̄``, ``y − ȳ``), solve for ``w`` there, then
``w_0 = ȳ − x̄ᵀw``. For least squares this is exactly the lecture's trick of a
column of ones; for the penalised problems it keeps ``w_0`` out of the penalty.
Everything is computed in float64.

Read next: ``train.py`` (the general mini-batch loop).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from . import nn, optim
from .autograd import no_grad
from .tensor import Tensor
from .train import NonFiniteLossError, train_step

__all__ = [
    "normal_equation",
    "ridge",
    "LinearRegression",
    "Ridge",
    "Lasso",
    "soft_threshold",
]


# ---- input checks --------------------------------------------------------------------


def _check_X(X: Any, where: str, n_features: int | None = None) -> np.ndarray:
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{where}: X must be numeric, got dtype {X.dtype}")
    X = X.astype(np.float64, copy=False)
    if X.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if X.ndim == 1 else ""
        raise ValueError(
            f"{where}: X must be 2-D (n_samples, n_features), got shape {X.shape}{hint}"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{where}: X is empty, shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{where}: X contains NaN or infinity")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{where}: X has {X.shape[1]} features, "
            f"but the model was fitted with {n_features}"
        )
    return X


def _check_Xy(X: Any, y: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    X = _check_X(X, where)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{where}: y must be numeric, got dtype {y.dtype}")
    y = y.astype(np.float64, copy=False)
    if y.ndim != 1:
        raise ValueError(
            f"{where}: y must be 1-D (n_samples,), got shape {y.shape} (use y.ravel())"
        )
    if len(y) != len(X):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)}")
    if not np.isfinite(y).all():
        raise ValueError(f"{where}: y contains NaN or infinity")
    return X, y


def _check_penalty(value: float, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value}")
    return float(value)


def _centre(X: np.ndarray, y: np.ndarray, fit_intercept: bool):
    """``(X − x̄, y − ȳ, x̄, ȳ)``; with no intercept, the data as is and zero
    means."""
    if not fit_intercept:
        return X, y, np.zeros(X.shape[1]), 0.0
    x_mean, y_mean = X.mean(axis=0), float(y.mean())
    return X - x_mean, y - y_mean, x_mean, y_mean


# ---- closed forms --------------------------------------------------------------------


def normal_equation(
    X: Any, y: Any, fit_intercept: bool = True
) -> tuple[np.ndarray, float]:
    """Least squares in closed form: ``w* = argmin_w Σ_i (wᵀx_i + w_0 − y_i)²``.

    Setting the gradient to zero gives the normal equation ``XᵀX w = Xᵀy``, i.e.
    ``w = (XᵀX)⁻¹Xᵀy``. The inverse is never formed (it loses accuracy when XᵀX
    is ill-conditioned): ``np.linalg.lstsq`` solves the least-squares problem directly
    from ``X`` via the SVD.

    If ``XᵀX`` is singular (a feature repeated, more features than samples, a
    constant column), the minimiser is not unique; ``lstsq`` then returns the one
    with the smallest ``‖w‖`` (the minimum-norm solution), never an error.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    fit_intercept : bool, default True
        Fit ``w_0`` (by centring: ``w_0 = ȳ − x̄ᵀw``); else ``w_0 = 0``.

    Returns
    -------
    coef : ndarray, shape (d,)
        ``w``.
    intercept : float
        ``w_0``.

    Examples
    --------
    >>> coef, intercept = normal_equation([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    >>> coef.round(6).tolist(), round(intercept, 6)
    ([2.0], 1.0)
    """
    X, y = _check_Xy(X, y, "normal_equation")
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    coef = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    return coef, float(y_mean - x_mean @ coef)


def ridge(
    X: Any, y: Any, lam: float, fit_intercept: bool = True
) -> tuple[np.ndarray, float]:
    """Ridge regression in closed form: ``w* = (λI + XᵀX)⁻¹ Xᵀy``.

    It minimises ``‖y − Xw − w_0‖² + λ‖w‖²`` (the intercept is not
    penalised: ``X`` and ``y`` are centred first, then ``w_0 = ȳ − x̄ᵀw``). The
    linear system ``(λI + XᵀX) w = Xᵀy`` is solved with ``np.linalg.solve``, never
    an explicit inverse; for ``λ > 0`` its matrix is positive definite, so it always
    has a unique solution. ``λ = 0`` is plain least squares and uses
    :func:`normal_equation` (which copes with a singular ``XᵀX``).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    lam : float
        ``λ >= 0``, the strength of the L2 penalty (``alpha`` in :class:`Ridge`).
    fit_intercept : bool, default True

    Returns
    -------
    coef : ndarray, shape (d,)
    intercept : float

    Examples
    --------
    >>> coef, intercept = ridge([[-1.0], [1.0]], [-2.0, 2.0], lam=2.0)
    >>> coef.tolist(), intercept    # (2 + 2)⁻¹ · 4 = 1
    ([1.0], 0.0)
    """
    lam = _check_penalty(lam, "lam", "ridge")
    if lam == 0:
        return normal_equation(X, y, fit_intercept)
    X, y = _check_Xy(X, y, "ridge")
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    A = Xc.T @ Xc + lam * np.eye(X.shape[1])
    coef = np.linalg.solve(A, Xc.T @ yc)
    return coef, float(y_mean - x_mean @ coef)


def soft_threshold(w: Any, t: float) -> np.ndarray:
    """The proximal operator of ``t‖w‖₁``: ``sign(w) · max(|w| − t, 0)``.

    It shrinks every weight towards 0 by ``t`` and sets the ones smaller than ``t``
    to exactly 0, which is why Lasso selects features.

    Examples
    --------
    >>> soft_threshold([3.0, -0.5, -2.0], 1.0).tolist()
    [2.0, 0.0, -1.0]
    """
    w = np.asarray(w, dtype=np.float64)
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0) + 0.0  # + 0.0: no -0.0 in coef_


# ---- estimators trained by gradient descent with the engine -------------------------


class _GradientLinearModel:
    """Shared fit/predict: full-batch (proximal) gradient descent with ``optim.SGD``.

    Subclasses define the smooth part of the objective as a Tensor expression
    (``_smooth_loss``), the eigenvalues of its Hessian from those of ``XᵀX``
    (``_hessian_eigenvalues``: the largest, ``L``, makes ``1/L`` a step that
    decreases the objective every iteration; the smallest, ``μ``, tells how far the
    weights still are from the minimiser), and optionally a proximal step for a
    non-smooth penalty (``_prox``).

    Stopping rule: a step that moves the weights by ``Δw`` at step size ``s``
    proves ``‖w − w*‖ <= 2‖Δw‖ / (s·μ)`` (the gradient mapping of a μ-strongly
    convex objective; Beck, First-Order Methods, ch. 10). Stopping on ``‖Δw‖``
    alone stops far too early on ill-conditioned data, where the steps are tiny long
    before the weights are right.
    """

    def __init__(
        self,
        fit_intercept: bool = True,
        lr: float | None = None,
        max_iter: int = 10_000,
        tol: float = 1e-7,
    ) -> None:
        where = type(self).__name__
        if lr is not None and (not np.isfinite(lr) or lr <= 0):
            raise ValueError(f"{where}: lr must be a positive number or None, got {lr}")
        if (
            isinstance(max_iter, bool)
            or not isinstance(max_iter, (int, np.integer))
            or max_iter < 1
        ):
            raise ValueError(f"{where}: max_iter must be an int >= 1, got {max_iter!r}")
        if not np.isfinite(tol) or tol < 0:
            raise ValueError(f"{where}: tol must be a finite number >= 0, got {tol}")
        self.fit_intercept = bool(fit_intercept)
        self.lr = lr
        self.max_iter = int(max_iter)
        self.tol = float(tol)

    # -- the parts a subclass defines --
    def _smooth_loss(self, prediction: Tensor, y: Tensor, w: Tensor) -> Tensor:
        """The smooth part of the objective, given the prediction ``Xw``."""
        raise NotImplementedError("abstract: a subclass defines its smooth loss")

    def _hessian_eigenvalues(self, s2: np.ndarray, n: int) -> np.ndarray:
        """The Hessian's eigenvalues, given ``s2``: those of ``XᵀX`` (n samples)."""
        raise NotImplementedError(
            "abstract: a subclass defines its Hessian's eigenvalues"
        )

    def _curvature(self, X: np.ndarray) -> tuple[float, float]:
        """``(μ, L)``: the smallest and largest curvature of the smooth objective.
        A zero curvature (a rank-deficient X) is left out of ``μ``: gradient steps
        from 0 never move along those directions."""
        s2 = np.linalg.svd(X, compute_uv=False) ** 2
        s2 = np.concatenate([s2, np.zeros(X.shape[1] - len(s2))])  # d > n
        eig = self._hessian_eigenvalues(s2, len(X))
        top = float(eig.max())
        positive = eig[eig > 1e-12 * top]
        return (float(positive.min()) if positive.size else 0.0), top

    def _penalty_value(self, w: np.ndarray) -> float:
        return 0.0  # the non-smooth part, for loss_history_

    def _prox(self, w: np.ndarray, step: float) -> None:
        pass  # in place on w; nothing to do for smooth objectives

    # -- fit / predict --
    def fit(self, X: Any, y: Any) -> "_GradientLinearModel":
        """Minimise the objective on ``(X, y)``; sets ``coef_``, ``intercept_``, ..."""
        where = f"{type(self).__name__}.fit"
        X, y = _check_Xy(X, y, where)
        Xc, yc, x_mean, y_mean = _centre(X, y, self.fit_intercept)
        mu, lipschitz = self._curvature(Xc)
        # 1/L for an L-smooth objective: every step decreases it (and ISTA converges)
        step = self.lr if self.lr is not None else 1.0 / max(lipschitz, 1e-12)
        w = nn.Parameter(np.zeros(X.shape[1]))
        optimizer = optim.SGD([w], lr=step)
        X_t, y_t = Tensor(Xc), Tensor(yc)

        def smooth_loss(prediction: Tensor, target: Tensor) -> Tensor:
            return self._smooth_loss(prediction, target, w)

        self.loss_history_: list[float] = []
        for iteration in range(1, self.max_iter + 1):
            before = w.data.copy()
            try:  # w ← w − step · ∇f(w), f(w) recorded before the step
                loss = train_step(lambda X: X @ w, smooth_loss, optimizer, X_t, y_t)
            except NonFiniteLossError:
                loss = math.inf
            self.loss_history_.append(loss + self._penalty_value(before))
            with no_grad():
                self._prox(w.data, step)
            if not (math.isfinite(loss) and np.isfinite(w.data).all()):
                raise FloatingPointError(
                    f"{where}: the loss or the weights became NaN/inf at iteration "
                    f"{iteration}; lr={step} is too large"
                )
            moved = float(np.linalg.norm(w.data - before))
            distance = 2 * moved / (step * mu) if mu > 0 else moved
            if distance <= self.tol * max(1.0, float(np.max(np.abs(w.data)))):
                break
        else:
            condition = lipschitz / mu if mu > 0 else math.inf
            warnings.warn(
                f"{where}: did not converge in max_iter={self.max_iter} iterations "
                f"(the weights may still be {distance:.2g} from the minimiser; "
                f"condition number of the problem {condition:.3g}); increase "
                "max_iter, or standardise the features (an ill-conditioned XᵀX "
                "makes gradient descent slow)",
                RuntimeWarning,
                stacklevel=2,
            )
        self.n_iter_ = iteration
        self.coef_ = w.data.copy()
        self.intercept_ = float(y_mean - x_mean @ self.coef_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """``Xw + w_0`` for the fitted ``w = coef_`` and ``w_0 = intercept_``."""
        where = f"{type(self).__name__}.predict"
        if not hasattr(self, "coef_"):
            raise RuntimeError(
                f"{where}: the model is not fitted yet; call fit(X, y) first"
            )
        X = _check_X(X, where, n_features=len(self.coef_))
        return X @ self.coef_ + self.intercept_

    def score(self, X: Any, y: Any) -> float:
        """The coefficient of determination ``R² = 1 − Σ(y − ŷ)² / Σ(y −
        ȳ)²``."""
        X, y = _check_Xy(X, y, f"{type(self).__name__}.score")
        residual = np.sum((y - self.predict(X)) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - residual / total) if total > 0 else float(residual == 0)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self) -> dict[str, Any]:
        return {
            "fit_intercept": self.fit_intercept,
            "lr": self.lr,
            "max_iter": self.max_iter,
            "tol": self.tol,
        }


class LinearRegression(_GradientLinearModel):
    """Least squares by gradient descent with the engine.

    Minimises (scaled as the data term of scikit-learn's ``Lasso``)::

        C(w, w_0) = 1/(2n) Σ_i (wᵀx_i + w_0 − y_i)² = 1/(2n) ‖y − Xw −
        w_0‖²

    whose minimiser is the normal-equation solution (:func:`normal_equation`); the
    ``1/(2n)`` only rescales the gradient ``∇C = −(1/n) Xᵀ(y − Xw − w_0)``.
    Each iteration is the lecture's ``Δw = −α ∂C/∂w`` on the whole data: a
    Tensor forward, ``backward()``, ``optim.SGD.step()``.

    Parameters
    ----------
    fit_intercept : bool, default True
        Fit ``w_0`` (by centring the data; ``w_0 = ȳ − x̄ᵀw``).
    lr : float, optional
        The step ``α``. Default ``1/L`` with ``L = σ_max(X)²/n`` (the largest
        eigenvalue of ``XᵀX/n``), the largest step that is safe for any data.
    max_iter : int, default 10000
    tol : float, default 1e-7
        Stop when the weights are provably within ``tol · max(1, max|w|)`` of the
        minimiser (``2‖Δw‖ / (α·μ)``, ``μ`` the smallest non-zero eigenvalue of
        the Hessian); warn (``RuntimeWarning``) when ``max_iter`` comes first.

    Attributes
    ----------
    coef_ : ndarray, shape (d,)
    intercept_ : float
    n_iter_ : int
    loss_history_ : list of float
        ``C`` before each iteration.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LinearRegression().fit(X, 2 * X[:, 0] + 1)
    >>> model.coef_.round(4).tolist(), round(model.intercept_, 4)
    ([2.0], 1.0)
    >>> model.predict([[4.0]]).round(4).tolist()
    [9.0]
    """

    def _smooth_loss(self, prediction: Tensor, y: Tensor, w: Tensor) -> Tensor:
        residual = y - prediction
        return (residual * residual).sum() / (2 * len(y))

    def _hessian_eigenvalues(self, s2: np.ndarray, n: int) -> np.ndarray:
        return s2 / n  # the Hessian of f is XᵀX / n


class Ridge(_GradientLinearModel):
    """Ridge regression (L2 penalty) by gradient descent with the engine.

    Minimises, scaled as scikit-learn's ``Ridge`` (no ``1/n``)::

        C(w, w_0) = ‖y − Xw − w_0‖² + α‖w‖² = Σ_i (wᵀx_i + w_0 −
        y_i)² + α Σ_j w_j²

    the lecture's ``Σ_i L(f(x_i; w), y_i) + λ Σ_j w_j²`` with ``λ = alpha``; the
    intercept is not penalised. Its minimiser is the closed form
    ``(λI + XᵀX)⁻¹Xᵀy`` of :func:`ridge`.

    Parameters
    ----------
    alpha : float, default 1.0
        The penalty strength ``λ >= 0``.
    fit_intercept, lr, max_iter, tol
        As in :class:`LinearRegression`; the default step is ``1/L`` with
        ``L = 2(σ_max(X)² + α)``.

    Examples
    --------
    >>> model = Ridge(alpha=2.0).fit([[-1.0], [1.0]], [-2.0, 2.0])
    >>> model.coef_.round(4).tolist()     # as ridge(X, y, lam=2.0)
    [1.0]
    """

    def __init__(
        self,
        alpha: float = 1.0,
        fit_intercept: bool = True,
        lr: float | None = None,
        max_iter: int = 10_000,
        tol: float = 1e-7,
    ) -> None:
        self.alpha = _check_penalty(alpha, "alpha", "Ridge")
        super().__init__(fit_intercept, lr, max_iter, tol)

    def _smooth_loss(self, prediction: Tensor, y: Tensor, w: Tensor) -> Tensor:
        residual = y - prediction
        return (residual * residual).sum() + self.alpha * (w * w).sum()

    def _hessian_eigenvalues(self, s2: np.ndarray, n: int) -> np.ndarray:
        return 2.0 * (s2 + self.alpha)  # the Hessian is 2(XᵀX + αI)

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, **super()._params()}


class Lasso(LinearRegression):
    """Lasso regression (L1 penalty) by proximal gradient descent (ISTA), on the engine.

    Minimises, scaled as scikit-learn's ``Lasso``, :class:`LinearRegression`'s
    objective ``f`` plus the penalty (so ``f``, its gradient and its step ``1/L``
    are inherited from there)::

        C(w, w_0) = 1/(2n) ‖y − Xw − w_0‖² + α‖w‖₁ = f(w) + α Σ_j
        |w_j|

    There is no closed form, but ``C`` is convex. ``|w_j|`` has no gradient at 0,
    so each iteration takes a gradient step on the smooth part ``f`` only (Tensor
    forward, ``backward()``, ``optim.SGD.step()`` with step ``s``) and then applies
    the proximal step of the penalty, :func:`soft_threshold` by ``s·α``. That sets
    small weights to exactly 0: Lasso selects features.

    At the solution, with ``g = (1/n) Xᵀ(y − Xw − w_0)``: ``g_j = α·sign(w_j)``
    where ``w_j ≠ 0`` and ``|g_j| <= α`` where ``w_j = 0`` (the subgradient
    conditions).

    Parameters
    ----------
    alpha : float, default 1.0
        The penalty strength ``>= 0`` (0 is plain least squares).
    fit_intercept, lr, max_iter, tol
        As in :class:`LinearRegression` (default step ``1/L``, ``L = σ_max(X)²/n``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> y = np.array([2.0, -2.0, 0.1, -0.1])          # feature 2 barely matters
    >>> Lasso(alpha=0.1).fit(X, y).coef_.round(4).tolist()
    [1.8, 0.0]
    """

    def __init__(
        self,
        alpha: float = 1.0,
        fit_intercept: bool = True,
        lr: float | None = None,
        max_iter: int = 10_000,
        tol: float = 1e-7,
    ) -> None:
        self.alpha = _check_penalty(alpha, "alpha", "Lasso")
        super().__init__(fit_intercept, lr, max_iter, tol)

    def _penalty_value(self, w: np.ndarray) -> float:
        return self.alpha * float(np.abs(w).sum())

    def _prox(self, w: np.ndarray, step: float) -> None:
        w[...] = soft_threshold(w, step * self.alpha)

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, **super()._params()}
