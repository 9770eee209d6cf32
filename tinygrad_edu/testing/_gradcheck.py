"""Numerical gradients and gradient checks: is an op's backward right?

``numerical_grad`` differentiates ``<v, fn(*inputs)>`` by central differences,
one element at a time. ``gradcheck`` compares that with what backward computes,
using a random cotangent ``v`` (an all-ones ``v`` would let bugs such as a missing
transpose or a reversed index slip through, because ``sum()`` hides them).
``gradgradcheck`` applies ``gradcheck`` to the gradient function itself, which
checks the graph that ``create_graph=True`` builds.

Which inputs are checked: those whose dtype is floating point (NumPy's rule, so a
Python float counts and a Python int does not). Other inputs, e.g. integer index
arrays or boolean masks, are passed to ``fn`` unchanged.

Read next: ``strategies.py`` (hypothesis strategies to drive these checks).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import enable_grad, no_grad
from ..functional import _fn_name, grad
from ..ops import concatenate
from ..tensor import Tensor

__all__ = ["numerical_grad", "gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """A gradient disagrees with its numerical estimate (raised by ``gradcheck``)."""


# ---- helpers ------------------------------------------------------------------------


def _array(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _is_float(x: Any) -> bool:
    return _array(x).dtype.kind == "f"


def _float64_copies(inputs: Sequence[Any]) -> list[Any]:
    """Fresh float64 arrays for the float inputs; the others as they are."""
    return [
        np.array(_array(x), dtype=np.float64) if _is_float(x) else x for x in inputs
    ]


def _output_array(out: Any) -> np.ndarray:
    return np.asarray(_array(out), dtype=np.float64)


# ---- numerical gradient -------------------------------------------------------------


def numerical_grad(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    cotangent: Any = None,
) -> list[np.ndarray]:
    """Central-difference gradient of ``sum(cotangent * fn(*inputs))``.

    Each float input is copied to float64 and perturbed one element at a time
    (``x[i] += eps`` and ``x[i] -= eps``, then restored); ``fn`` runs under
    ``no_grad()``. The caller's inputs are never modified.

    Parameters
    ----------
    fn : callable
        Called as ``fn(*args)``; float inputs arrive as float64 Tensors, other
        inputs unchanged. May return a Tensor (or array) of any shape.
    inputs : sequence
        Tensors, arrays or Python scalars.
    eps : float
        Half the width of the central difference.
    cotangent : array_like, optional
        ``v`` of the output's shape; all ones by default, which gives the gradient
        of ``fn(*inputs).sum()``.

    Returns
    -------
    list of numpy.ndarray
        One float64 array per input, of that input's shape (zeros for inputs that
        are not floating point).

    Examples
    --------
    >>> import numpy as np
    >>> g = numerical_grad(lambda x: x * x, [np.array([1.0, -2.0])])
    >>> np.round(g[0], 6)
    array([ 2., -4.])
    """
    _check_tolerance("numerical_grad", "eps", eps, positive=True)
    values = _float64_copies(inputs)

    def evaluate() -> np.ndarray:
        args = [Tensor(x) if _is_float(x) else x for x in values]
        with no_grad():
            return _output_array(fn(*args))

    out = evaluate()
    if cotangent is None:
        v = np.ones(out.shape)
    else:
        v = np.asarray(_array(cotangent), dtype=np.float64)
        if v.shape != out.shape:
            raise ValueError(
                f"numerical_grad: cotangent has shape {v.shape} but "
                f"{_fn_name(fn)} returned shape {out.shape}; they must match"
            )

    grads = []
    for x in values:
        if not _is_float(x):
            grads.append(np.zeros(np.shape(x)))
            continue
        g = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            original = x[idx]
            x[idx] = original + eps
            f_plus = np.sum(v * evaluate())
            x[idx] = original - eps
            f_minus = np.sum(v * evaluate())
            x[idx] = original
            g[idx] = (f_plus - f_minus) / (2 * eps)
        grads.append(g)
    return grads


# ---- first order --------------------------------------------------------------------


def _check_tolerance(who: str, name: str, value: Any, positive: bool = False) -> None:
    """A step or tolerance must be a finite real number (> 0 for a step, >= 0 for a
    tolerance): with eps = 0 or a NaN tolerance every comparison would pass."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{who}: {name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{who}: {name} must be a finite number {bound}, got {value}")


def _compare(
    fn_name: str,
    i: int,
    analytic: np.ndarray,
    numerical: np.ndarray,
    atol: float,
    rtol: float,
) -> int:
    """Raise GradcheckError at the worst element of input ``i``, if any is off;
    return how many elements could be compared (finite numerical gradient)."""
    if analytic.shape != numerical.shape:
        raise GradcheckError(
            f"{fn_name}: input {i}: analytic gradient has shape {analytic.shape} "
            f"but the input has shape {numerical.shape}"
        )
    if analytic.size == 0:
        return 0
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
    comparable = np.isfinite(numerical)  # where f itself blows up, nothing to compare
    excess = np.where(comparable, excess, -np.inf)
    excess = np.where(comparable & ~np.isfinite(analytic), np.inf, excess)
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    if excess[worst] > 0:
        idx = tuple(int(j) for j in worst)
        raise GradcheckError(
            f"{fn_name}: input {i}, index {idx}: analytic {analytic[worst]:.6g} != "
            f"numerical {numerical[worst]:.6g} (max excess over "
            f"atol + rtol*|numerical|: {excess[worst]:.3g}; atol={atol:g}, "
            f"rtol={rtol:g})"
        )
    return int(np.count_nonzero(comparable))


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    seed: int = 0,
) -> bool:
    """Check backward against central differences, with a random cotangent.

    The float inputs become float64 leaf Tensors with ``requires_grad=True`` (copies:
    your tensors and their ``.grad`` are left alone); other inputs are passed
    through. With ``out = fn(*leaves)`` and ``v ~ N(0, 1)`` of ``out.shape`` drawn
    from ``np.random.default_rng(seed)``, ``out.backward(v)`` must agree with
    ``numerical_grad(fn, inputs, eps, cotangent=v)``: for every element,
    ``|analytic - numerical| <= atol + rtol * |numerical|``.

    Parameters
    ----------
    fn : callable
        Called as ``fn(*args)``; must return a Tensor (of any shape).
    inputs : sequence
        Tensors, arrays or Python scalars; at least one floating point.
    eps, atol, rtol : float
        Step of the central differences and the tolerances.
    seed : int, keyword-only
        Seed of the cotangent ``v``.

    Returns
    -------
    bool
        ``True`` (a failure raises instead).

    Raises
    ------
    GradcheckError
        At the worst element of the first input that disagrees, naming the input,
        the element's index, and the analytic and numerical values. Also when a
        gradient has the wrong shape or is NaN/Inf where the numerical one is finite.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> gradcheck(lambda a, b: a * tg.exp(b), [[1.0, 2.0], [[0.5], [-0.5]]])
    True
    """
    name = _fn_name(fn)
    _check_tolerance("gradcheck", "eps", eps, positive=True)
    _check_tolerance("gradcheck", "atol", atol)
    _check_tolerance("gradcheck", "rtol", rtol)
    values = _float64_copies(inputs)
    checked = [i for i, x in enumerate(values) if _is_float(x)]
    if not checked:
        raise ValueError(f"gradcheck: {name} has no floating-point input to check")

    with enable_grad():
        leaves = [Tensor(x, requires_grad=True) if _is_float(x) else x for x in values]
        out = fn(*leaves)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"gradcheck: {name} must return a Tensor, got {type(out).__name__}"
            )
        v = np.asarray(np.random.default_rng(seed).standard_normal(out.shape))
        if out.requires_grad:
            out.backward(v)
        # else: out does not depend on the leaves (e.g. detached): every gradient is 0

    numerical = numerical_grad(fn, values, eps, cotangent=v)
    compared = 0
    for i in checked:
        g = leaves[i].grad
        analytic = np.zeros(values[i].shape) if g is None else _output_array(g)
        compared += _compare(name, i, analytic, numerical[i], atol, rtol)
    if compared == 0 and any(values[i].size for i in checked):
        raise GradcheckError(
            f"{name}: no element could be checked: the numerical gradient is NaN or "
            f"Inf everywhere (eps={eps:g}); check at points where {name} is finite"
        )
    return True


# ---- second order -------------------------------------------------------------------


def gradgradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    seed: int = 0,
) -> bool:
    """Check second derivatives: ``gradcheck`` of the gradient function.

    With a fixed cotangent ``v ~ N(0, 1)`` of ``fn``'s output shape (from
    ``default_rng(seed)``), the gradient function is

        ``g(*xs) = concatenate([d<v, fn(*xs)>/dx_i, flattened, for float x_i])``

    computed by ``tinygrad_edu.grad``, which builds the graph of the backward pass
    (``create_graph``) when the ``xs`` require grad. ``gradcheck(g, inputs, ...,
    seed=seed + 1)`` then compares its backward, a Hessian-vector product, with
    central differences of ``g``. A failure names the input of ``fn`` whose
    perturbation exposes the error (the function is reported as ``grad(<fn>)``).

    Parameters and the result are those of ``gradcheck``. ``fn`` must be built from
    ops whose backward is itself differentiable (the built-ins are; a
    ``Function`` written on NumPy arrays is not).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> gradgradcheck(lambda x, y: x * x * tg.sin(y), [[1.0, -2.0], [0.3, 0.7]])
    True
    """
    name = _fn_name(fn)
    values = _float64_copies(inputs)
    checked = tuple(i for i, x in enumerate(values) if _is_float(x))
    if not checked:
        raise ValueError(f"gradgradcheck: {name} has no floating-point input to check")
    with no_grad():
        args = [Tensor(x) if _is_float(x) else x for x in values]
        shape = np.shape(_array(fn(*args)))
    v = Tensor(np.asarray(np.random.default_rng(seed).standard_normal(shape)))

    def inner_product(*xs: Any) -> Tensor:
        return (fn(*xs) * v).sum()

    def g(*xs: Any) -> Tensor:
        grads = grad(inner_product, argnums=checked)(*xs)
        return concatenate([gi.reshape(-1) for gi in grads])

    g.__name__ = f"grad({name})"
    return gradcheck(g, values, eps, atol, rtol, seed=seed + 1)
