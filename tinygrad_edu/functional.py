"""Functional transforms, as in JAX and ``torch.func``: a function in, a function out.

``grad`` / ``value_and_grad``  the gradient of a scalar function (one reverse sweep)
``vjp``                        ``out`` and ``v ↦ vᵀJ`` (one reverse sweep per ``v``)
``jvp``                        ``out`` and ``J·t`` (forward mode, see below)
``jacobian`` / ``hessian``     the whole matrix, of shape ``out.shape + in.shape``
``gradients``                  ``torch.autograd.grad``: d output / d inputs of a graph

All of them rest on the engine's one reverse sweep, ``autograd.backpropagate``.

**Nesting.** A transform called while grad mode is on keeps the graph of its own
backward (``create_graph``) exactly when the function's output depends on a tensor
that requires grad and is not one of the transform's fresh inputs: an argument an
outer transform is differentiating, or a tensor captured from an enclosing scope.
The outer transform can then differentiate through the result, so
``grad(grad(f, 1), 0)`` is a mixed partial and ``grad(lambda x: x * grad(lambda y:
x * y)(2.0))(1.0) == 2``. Otherwise the results are plain tensors with no graph and
the transform's graph is freed: a top-level call costs one ordinary backward.

**Which derivative.** An argument that already requires grad is differentiated
through a fresh view of it (``x.reshape(x.shape)``), so the inner derivative counts
only the paths through the argument, never those through values an outer scope
derived from ``x`` (what the AD literature calls perturbation confusion).

**Forward mode by the double-vjp trick.** ``vjp`` gives ``g(u) = Jᵀu``, which is
linear in ``u``; its own vjp is ``J``: ``J·t = ∂⟨g(u), t⟩/∂u`` (at any ``u``,
here 0). ``jvp`` builds ``g`` once with ``create_graph`` and then runs one reverse sweep
through that graph per tangent. So one ``jvp`` costs about two to three reverse
sweeps, not the one forward pass of true forward mode, and every op on the path
must have a differentiable backward (the built-ins do; a ``Function`` written on
NumPy arrays does not, and ``jvp`` says so).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from .autograd import GradLike, backpropagate, enable_grad, is_grad_enabled
from .dtypes import get_default_dtype
from .ops import stack
from .tensor import Tensor

# ---- gradients of a graph (torch.autograd.grad) ------------------------------------


def gradients(
    output: Tensor,
    inputs: Sequence[Tensor],
    grad_output: GradLike = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> list[Tensor]:
    """d output / d inputs as a list of Tensors, leaving every ``.grad`` untouched.

    The analogue of ``torch.autograd.grad``. ``inputs`` may be any tensors of the
    graph, leaves or not; an input the output does not depend on gets zeros.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(3.0, requires_grad=True)
    >>> gradients(x * x, [x])[0].item()
    6.0
    """
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(
                "gradients: every input must be a Tensor that requires grad"
            )
    if retain_graph is None:
        retain_graph = create_graph
    return backpropagate(output, grad_output, retain_graph, create_graph, inputs)


# ---- tracing a function: its inputs, its output, whether it is nested ----------------


class _Trace(NamedTuple):
    """One call of the user's function, recorded for differentiation."""

    out: Tensor  # what the function returned
    inputs: list[Tensor]  # the variables, one per differentiated argument
    fresh: list[Tensor]  # the leaves among them that this transform made
    connected: bool  # out depends on some input (else every derivative is 0)
    nested: bool  # keep the backward's graph: an outer scope differentiates through us


def _fn_name(fn: Callable) -> str:
    """``"MyOp.apply"`` for a bound method (``MyOp.apply``), else ``fn.__name__``
    (the name messages give a function; ``testing``'s checks use it too)."""
    name = getattr(fn, "__name__", type(fn).__name__)
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        owner_name = owner.__name__ if isinstance(owner, type) else type(owner).__name__
        name = f"{owner_name}.{name}"
    return name


def _check_fn(fn: Any, who: str) -> None:
    """A transform takes a function: say so at once, not when the result is called."""
    if not callable(fn):
        raise TypeError(f"{who}: expected a function, got {type(fn).__name__}")


def _as_argnums(argnums: Any, who: str) -> tuple[tuple[int, ...], bool]:
    """``(positions, single)``: ``single`` when argnums is one int (one result)."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    positions = (argnums,) if single else argnums
    if not isinstance(positions, (tuple, list)) or not all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in positions
    ):
        raise TypeError(
            f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}"
        )
    if not positions:
        raise ValueError(f"{who}: argnums is empty; name at least one argument")
    return tuple(int(i) for i in positions), single


def _variable(x: Any, who: str, fn: Callable, i: int) -> tuple[Tensor, bool]:
    """The tensor to differentiate argument ``i`` at, and whether it is a fresh leaf."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x.reshape(x.shape), False  # a fresh view: see "Which derivative"
    if isinstance(x, Tensor):
        data = x.data
    elif isinstance(x, (np.ndarray, np.generic)):
        data = np.asarray(x)
    else:  # Python numbers and lists: Tensor()'s rule (floats: the default dtype)
        try:
            data = Tensor(x).data
        except (TypeError, ValueError):
            data = np.asarray(x, dtype=object)  # (refused just below, naming fn)
    if data.dtype.kind not in "biuf":
        raise TypeError(
            f"{who}: argument {i} of {_fn_name(fn)} must be real numbers to "
            f"differentiate at, got {type(x).__name__} of dtype {data.dtype}"
        )
    if data.dtype.kind != "f":
        data = data.astype(get_default_dtype())
    return Tensor(data, requires_grad=True), True


def _trace(
    fn: Callable, args: Sequence[Any], kwargs: dict, positions: Sequence[int], who: str
) -> _Trace:
    """Call ``fn`` with the arguments at ``positions`` as variables, graph recorded."""
    nesting_allowed = is_grad_enabled()
    args = list(args)
    seen = set()
    for i in positions:
        if not -len(args) <= i < len(args):
            raise ValueError(
                f"{who}: argnums {i} is out of range for a call of {_fn_name(fn)} with "
                f"{len(args)} positional argument(s)"
            )
        if i % len(args) in seen:
            raise ValueError(f"{who}: argnums names argument {i % len(args)} twice")
        seen.add(i % len(args))
    fresh, inputs = [], []
    with enable_grad():
        for i in positions:
            variable, is_fresh = _variable(args[i], who, fn, i)
            if is_fresh:
                fresh.append(variable)
            args[i] = variable
            inputs.append(variable)
        out = fn(*args, **kwargs)
    if not isinstance(out, Tensor):
        raise TypeError(
            f"{who}: the function must return a Tensor, got {type(out).__name__} "
            f"(from {_fn_name(fn)})"
        )
    nested = nesting_allowed and _depends_on_outer_tensors(out, set(fresh))
    trace = _Trace(out, inputs, fresh, out.requires_grad, nested)
    _set_variables(trace, False)
    return trace


def _set_variables(t: _Trace, active: bool) -> None:
    """Our fresh leaves require grad only while we differentiate with respect to them.

    Between sweeps they are constants, so the graph an outer transform sees through a
    nested result ends at the outer tensors: the outer call does not take our
    variables for tensors of its own enclosing scope, and its sweeps skip them.
    """
    for x in t.fresh:
        x.requires_grad_(active)


def _depends_on_outer_tensors(out: Tensor, fresh: set) -> bool:
    """Does ``out`` reach a leaf that requires grad and is not one of ``fresh``?"""
    if not out.requires_grad:
        return False
    stack_, seen = [out], {out}
    while stack_:
        t = stack_.pop()
        if t.grad_fn is None:
            if t not in fresh:
                return True
            continue
        for x in t.grad_fn.inputs:
            if x.requires_grad and x not in seen:
                seen.add(x)
                stack_.append(x)
    return False


def _result(t: _Trace) -> Tensor:
    """The function's value as the transform returns it: its graph kept if nested."""
    return t.out if t.nested else t.out.detach()


def _zeros_like(x: Tensor, out: Tensor | None = None) -> Tensor:
    """Zeros of x's shape, or the zero Jacobian of ``out`` w.r.t. ``x``."""
    shape = x.shape if out is None else out.shape + x.shape
    return Tensor(np.zeros(shape, dtype=x.dtype))


def _pullback(t: _Trace, cotangent: Any, retain_graph: bool) -> list[Tensor]:
    """vᵀJ, one gradient per input (``cotangent`` None: v = 1 for a scalar output)."""
    if not t.connected:  # the function ignores its inputs
        return [_zeros_like(x) for x in t.inputs]
    root, create_graph = t.out, t.nested
    _set_variables(t, True)
    try:
        if (
            isinstance(cotangent, Tensor)
            and cotangent.requires_grad
            and is_grad_enabled()
        ):
            # a sweep's seed is a constant; to differentiate through v, sweep ⟨out,
            # v⟩
            with enable_grad():
                root, cotangent = (t.out * cotangent).sum(), None
            retain_graph = create_graph = True
        return backpropagate(root, cotangent, retain_graph, create_graph, t.inputs)
    finally:
        _set_variables(t, False)


# ---- grad and value_and_grad ---------------------------------------------------------


def _value_and_grad(fn: Callable, argnums: Any, who: str) -> Callable:
    _check_fn(fn, who)
    positions, single = _as_argnums(argnums, who)

    def wrapped(*args: Any, **kwargs: Any):
        t = _trace(fn, args, kwargs, positions, who)
        if t.out.size != 1:
            raise ValueError(
                f"{who}: the function must return a scalar, got shape {t.out.shape} "
                f"(from {_fn_name(fn)}); reduce it (e.g. .sum()) or use vjp / jacobian"
            )
        found = _pullback(t, None, retain_graph=t.nested)
        return _result(t), (found[0] if single else tuple(found))

    return wrapped


def value_and_grad(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Like ``grad`` but the new function returns ``(fn(*args), gradient)``.

    >>> import tinygrad_edu as tg
    >>> value, g = tg.value_and_grad(lambda x: (x ** 2).sum())(tg.Tensor([1.0, 2.0]))
    >>> value.item(), g.tolist()
    (5.0, [2.0, 4.0])
    """
    wrapped = _value_and_grad(fn, argnums, "value_and_grad")
    wrapped.__name__ = f"value_and_grad_{_fn_name(fn)}"
    return wrapped


def grad(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function giving the gradient of scalar ``fn`` w.r.t. argument(s) ``argnums``.

    As in JAX / HIPS autograd. Arguments may be Tensors, arrays or numbers; the
    gradient is a Tensor (a tuple of them for a tuple ``argnums``). Transforms nest:
    ``grad(grad(f))`` is the second derivative, ``grad(grad(f, 1), 0)`` a mixed one.

    >>> import tinygrad_edu as tg
    >>> d2 = tg.grad(tg.grad(lambda x: x ** 3))
    >>> d2(tg.Tensor(2.0)).item()      # 6x
    12.0
    >>> tg.grad(lambda x: x * tg.grad(lambda y: x * y)(2.0))(1.0).item()  # d(x²)/dx
    2.0
    """
    value_and_gradient = _value_and_grad(fn, argnums, "grad")

    def wrapped(*args: Any, **kwargs: Any):
        return value_and_gradient(*args, **kwargs)[1]

    wrapped.__name__ = f"grad_{_fn_name(fn)}"
    return wrapped


# ---- vjp and jvp ---------------------------------------------------------------------


def _primals(primals: Any, who: str, what: str) -> tuple:
    if not isinstance(primals, (tuple, list)):
        raise TypeError(
            f"{who}: {what} must be a tuple (one entry per argument of the function), "
            f"got {type(primals).__name__}; write ({what[:-1]},) for one argument"
        )
    return tuple(primals)


def _check_like(v: Any, like: Tensor, who: str, what: str) -> Any:
    """``v`` (a cotangent or tangent) must be real numbers of ``like``'s shape."""
    data = v.data if isinstance(v, Tensor) else np.asarray(v)
    if data.dtype.kind not in "biuf":
        raise TypeError(
            f"{who}: {what} must be real numbers, got {type(v).__name__} of dtype "
            f"{data.dtype}"
        )
    if data.shape != like.shape:
        raise ValueError(
            f"{who}: {what} has shape {data.shape} but must have shape {like.shape}"
        )
    return v if isinstance(v, Tensor) else Tensor(data.astype(like.dtype, copy=False))


def vjp(fn: Callable, *primals: Any) -> tuple[Tensor, Callable]:
    """``(fn(*primals), vjp_fn)``; ``vjp_fn(v)`` is ``vᵀJ``, one gradient per primal.

    As ``jax.vjp`` / ``torch.func.vjp``. ``v`` has the output's shape; ``vjp_fn`` may
    be called many times (each call is one reverse sweep).

    >>> import tinygrad_edu as tg
    >>> out, vjp_fn = tg.vjp(lambda x: x * x, tg.Tensor([1.0, 2.0]))
    >>> vjp_fn(tg.Tensor([1.0, 10.0]))[0].tolist()   # v · 2x
    [2.0, 40.0]
    """
    _check_fn(fn, "vjp")
    t = _trace(fn, primals, {}, range(len(primals)), "vjp")

    def vjp_fn(cotangent: Any) -> tuple[Tensor, ...]:
        v = _check_like(cotangent, t.out, "vjp", "the cotangent")
        return tuple(_pullback(t, v, retain_graph=True))

    vjp_fn.__name__ = f"vjp_{_fn_name(fn)}"
    return _result(t), vjp_fn


def _linearize(t: _Trace) -> Callable[[Sequence[Tensor]], Tensor]:
    """``tangents ↦ J·tangents`` for a traced function, by the double-vjp trick.

    ``g(u) = Jᵀu`` is built once, with its graph (``u`` a fresh leaf; ``g`` is linear
    in it). Each call then sweeps ``⟨g(u), t⟩ = ⟨u, J·t⟩`` back to ``u``.
    """
    u = Tensor(np.zeros(t.out.shape, dtype=t.out.dtype), requires_grad=True)
    _set_variables(t, True)
    try:
        with enable_grad():
            transposed = backpropagate((t.out * u).sum(), None, True, True, t.inputs)
    finally:
        _set_variables(t, False)

    def push(tangents: Sequence[Tensor]) -> Tensor:
        with enable_grad():
            total = None
            for g, tangent in zip(transposed, tangents):
                if tangent is not None:
                    term = (g * tangent).sum()
                    total = term if total is None else total + term
        if total is None or not total.requires_grad:  # J·t does not depend on u: J = 0
            return _zeros_like(t.out)
        create_graph = t.nested or any(
            isinstance(x, Tensor) and x.requires_grad for x in tangents
        )
        (found,) = backpropagate(
            total, None, True, create_graph and is_grad_enabled(), [u]
        )
        return found

    return push


def jvp(
    fn: Callable, primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Tensor, Tensor]:
    """``(fn(*primals), J·tangents)``: forward mode, as ``jax.jvp``/``torch.func.jvp``.

    ``primals`` and ``tangents`` are tuples, one tangent of each primal's shape.
    Computed by the double-vjp trick (see the module docstring): right in value,
    about two to three reverse sweeps in cost.

    >>> import tinygrad_edu as tg
    >>> out, tangent = tg.jvp(lambda x: x * x, (tg.Tensor([1.0, 2.0]),), ([1.0, 1.0],))
    >>> tangent.tolist()   # 2x · t
    [2.0, 4.0]
    """
    _check_fn(fn, "jvp")
    primals = _primals(primals, "jvp", "primals")
    tangents = _primals(tangents, "jvp", "tangents")
    if len(tangents) != len(primals):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s) for "
            f"{_fn_name(fn)}; give one tangent per primal"
        )
    t = _trace(fn, primals, {}, range(len(primals)), "jvp")
    tangents = tuple(
        _check_like(v, x, "jvp", f"tangent {i}")
        for i, (v, x) in enumerate(zip(tangents, t.inputs))
    )
    if not t.connected:
        return _result(t), _zeros_like(t.out)
    return _result(t), _linearize(t)(tangents)


# ---- jacobian and hessian ------------------------------------------------------------


def _unit(shape: tuple, dtype: Any, k: int) -> Tensor:
    """The k-th basis tensor (1 at flat index k, 0 elsewhere)."""
    e = np.zeros(shape, dtype=dtype)
    e.flat[k] = 1
    return Tensor(e)


def _jacobian_reverse(t: _Trace) -> list[Tensor]:
    """One vjp per output element: row k of J is e_kᵀJ. Cost: out.size sweeps."""
    rows = [
        _pullback(t, _unit(t.out.shape, t.out.dtype, k), retain_graph=True)
        for k in range(t.out.size)
    ]
    if not rows:  # an empty output
        return [_zeros_like(x, t.out) for x in t.inputs]
    return [
        stack([row[i] for row in rows]).reshape(t.out.shape + x.shape)
        for i, x in enumerate(t.inputs)
    ]


def _jacobian_forward(t: _Trace) -> list[Tensor]:
    """One jvp per input element: column j of J is J·e_j. Cost: in.size sweeps."""
    push = _linearize(t)
    found = []
    for i, x in enumerate(t.inputs):
        others = [None] * len(t.inputs)
        columns = []
        for j in range(x.size):
            others[i] = _unit(x.shape, x.dtype, j)
            columns.append(push(others).reshape(-1))
        if not columns:  # an empty input
            found.append(_zeros_like(x, t.out))
        else:
            found.append(stack(columns, axis=-1).reshape(t.out.shape + x.shape))
    return found


def _jacobian(fn: Callable, argnums: Any, mode: str, who: str) -> Callable:
    _check_fn(fn, who)
    positions, single = _as_argnums(argnums, who)
    if mode not in ("reverse", "forward"):
        raise ValueError(f"{who}: mode must be 'reverse' or 'forward', got {mode!r}")

    def wrapped(*args: Any, **kwargs: Any):
        t = _trace(fn, args, kwargs, positions, who)
        if not t.connected:
            found = [_zeros_like(x, t.out) for x in t.inputs]
        elif mode == "reverse":
            found = _jacobian_reverse(t)
        else:
            found = _jacobian_forward(t)
        return found[0] if single else tuple(found)

    wrapped.__name__ = f"{who}_{_fn_name(fn)}"
    return wrapped


def jacobian(
    fn: Callable, argnums: int | Sequence[int] = 0, *, mode: str = "reverse"
) -> Callable:
    """A function returning the Jacobian of ``fn``: shape ``out.shape + in.shape``.

    A tuple of such, one per argument, for a tuple ``argnums``. ``mode="reverse"``
    (the default, ``jax.jacrev``) runs one vjp per output element; ``"forward"``
    (``jax.jacfwd``) one jvp per input element: pick the one with fewer.

    >>> import tinygrad_edu as tg
    >>> J = tg.jacobian(lambda x: x * x)(tg.Tensor([1.0, 2.0]))
    >>> J.tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    return _jacobian(fn, argnums, mode, "jacobian")


def hessian(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning the Hessian of ``fn``: shape ``out.shape + in.shape * 2``.

    The Jacobian of the Jacobian (reverse over reverse). For a tuple ``argnums`` the
    result is nested: ``H[i][j]`` is ``∂²fn / ∂args[i] ∂args[j]``.

    >>> import tinygrad_edu as tg
    >>> H = tg.hessian(lambda x: (x ** 3).sum())(tg.Tensor([1.0, 2.0]))
    >>> H.tolist()   # diag(6x)
    [[6.0, 0.0], [0.0, 12.0]]
    """
    _check_fn(fn, "hessian")
    positions, single = _as_argnums(argnums, "hessian")

    # ∂/∂args[argnums] of ∂fn/∂args[i]
    def jacobian_of_gradient(i: int) -> Callable:
        return _jacobian(
            _jacobian(fn, i, "reverse", "hessian"), argnums, "reverse", "hessian"
        )

    if single:
        return jacobian_of_gradient(argnums)
    rows = [jacobian_of_gradient(i) for i in positions]

    def wrapped(*args: Any, **kwargs: Any):
        return tuple(row(*args, **kwargs) for row in rows)

    wrapped.__name__ = f"hessian_{_fn_name(fn)}"
    return wrapped
