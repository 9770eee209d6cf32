"""Products and contractions, NumPy's "Linear algebra" beyond matmul: ``einsum`` (the
primitive), and composites of it or of the shape ops: tensordot, dot, inner, outer,
cross, kron, trace, diagonal, diag.

einsum's backward is einsum again. For ``out = einsum("s_1,...,s_n->o", x_1..x_n)``
the gradient of operand k is ``einsum("o,s_1,..(all but s_k)..->s_k", grad, ...)``,
with two repairs: a label repeated in s_k (a diagonal, ``"ii"``) is renamed and tied
by an identity matrix, so grad lands on the diagonal; a label found nowhere else
(summed inside x_k alone) comes from a vector of ones, so grad is copied along it.
When that einsum sums over nothing (``"ij,ij->"``: grad times the other operand), it
runs as a broadcast product, which skips einsum's fixed cost.

Read next: ``nn/module.py``.
"""

from __future__ import annotations

import functools
import string
from typing import Any, Sequence

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, as_tensor
from ._util import backend, normalize_axes, one_axis
from .arrange import moveaxis, ravel
from .shape import ScatterAdd, concatenate, getitem, reshape, transpose

# ---- einsum ----------------------------------------------------------------------


def _from_sublists(args: Sequence[Any]) -> tuple[str, list]:
    """NumPy's other calling form ``einsum(x, [0, 1], y, [1, 2], [0, 2])`` as a
    string."""

    def letters(sublist: Any) -> str:
        try:
            return "".join(
                "..." if s is Ellipsis else string.ascii_letters[int(s)]
                for s in sublist
            )
        except (TypeError, ValueError, IndexError):
            raise ValueError(
                "einsum: a subscript list holds ints in [0, 52) or Ellipsis, got "
                f"{sublist!r}"
            ) from None

    has_output = len(args) % 2 == 1  # (x, [0, 1], y, [1, 2], [0, 2]): odd length
    pairs = args[:-1] if has_output else args
    operands = list(pairs[0::2])
    spec = ",".join(letters(s) for s in pairs[1::2])
    if has_output:
        spec += "->" + letters(args[-1])
    return spec, operands


@functools.lru_cache(maxsize=1024)
def _parse(subscripts: str, shapes: tuple) -> tuple[tuple[str, ...], str]:
    """Explicit subscripts: every ``...`` spelled out as letters, the output named.

    Returns (one label string per operand, the output labels). Raises ValueError
    naming einsum when the subscripts do not fit the operands.
    """
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) but "
            f"{len(shapes)} were given"
        )
    allowed = set(string.ascii_letters)
    used = set(spec) & allowed
    for part in terms + ([output] if arrow else []):
        if part.count("...") > 1 or set(part.replace("...", "")) - allowed:
            raise ValueError(
                f"einsum: invalid subscripts {subscripts!r} (labels are letters, at "
                "most one '...' per operand)"
            )
    ranks = []
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if named > len(shape) or ("..." not in term and named != len(shape)):
            raise ValueError(
                f"einsum: operand {len(ranks)} has shape {shape} but subscripts "
                f"{term!r} name {named} axes"
            )
        ranks.append(len(shape) - named if "..." in term else 0)
    fresh = [c for c in string.ascii_letters if c not in used]
    ellipsis = "".join(fresh[: max(ranks, default=0)])
    if len(fresh) < len(ellipsis):
        raise ValueError(f"einsum: too many axes for 52 labels in {subscripts!r}")
    labels = tuple(
        t.replace("...", ellipsis[len(ellipsis) - r :]) for t, r in zip(terms, ranks)
    )
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # implicit mode: labels seen once, sorted, after the broadcast axes
        counts = "".join(terms)
        output = ellipsis + "".join(sorted(c for c in used if counts.count(c) == 1))
    missing = set(output) - set("".join(labels))
    if missing or len(set(output)) != len(output):
        raise ValueError(
            f"einsum: output subscripts of {subscripts!r} must be distinct labels "
            f"found in the inputs ({sorted(missing) or 'a label repeats'})"
        )
    _check_sizes(subscripts, labels, shapes)
    return labels, output


def _check_sizes(subscripts: str, labels: tuple, shapes: tuple) -> None:
    sizes: dict[str, tuple[int, int]] = {}
    for k, (term, shape) in enumerate(zip(labels, shapes)):
        for label, n in zip(term, shape):
            seen = sizes.setdefault(label, (n, k))
            if n != seen[0] and 1 not in (n, seen[0]):
                raise ValueError(
                    f"einsum: label {label!r} of {subscripts!r} has size {seen[0]} in "
                    f"operand {seen[1]} but {n} in operand {k}"
                )
            if n != 1:
                sizes[label] = (n, k)


def _operand_gradient(ctx: Context, grad: Any, k: int) -> Any:
    """d out / d x_k contracted with grad: an einsum of grad with the other operands."""
    values, labels = ctx.values, ctx.labels
    terms = [(grad, ctx.output)] + [
        (v, s) for j, (v, s) in enumerate(zip(values, labels)) if j != k
    ]
    shape, dtype, term = values[k].shape, grad.dtype, labels[k]
    if isinstance(grad, np.ndarray):
        product = _broadcast_product(terms, term, shape)
        if product is not None:
            return product
    present = set("".join(s for _, s in terms))
    for label, n in dict(zip(term, shape)).items():
        if label not in present:  # summed inside x_k alone: grad is copied along it
            terms.append((np.ones(n, dtype=dtype), label))
    if len(set(term)) < len(term) and isinstance(grad, np.ndarray):
        diagonal = _diagonal_gradient(terms, term, shape, dtype, ctx.optimize)
        if diagonal is not None:
            return diagonal
    target, seen = [], set()
    used = set("".join(labels)) | set(ctx.output)
    fresh = iter(c for c in string.ascii_letters if c not in used)
    for label, n in zip(term, shape):
        if label in seen:  # a repeated label: a diagonal, tied by an identity matrix
            twin = next(fresh)
            terms.append((np.eye(n, dtype=dtype), label + twin))
            target.append(twin)
        else:
            seen.add(label)
            target.append(label)
    spec = ",".join(s for _, s in terms) + "->" + "".join(target)
    return backend(grad).einsum(spec, *(v for v, _ in terms), optimize=ctx.optimize)


def _broadcast_product(terms: list, target: str, shape: tuple) -> Any:
    """For arrays, an einsum that sums over no label (every label of every term is in
    the distinct labels of ``target``) as a broadcast product: each term's axes put in
    target order, size 1 where it lacks a label. One ufunc call per term instead of
    einsum's setup, and labels found in no term are plain broadcasting, not a
    product with ones. None when the einsum does sum (or repeats a label), or the
    product does not broadcast to ``shape``: the caller then runs the einsum."""
    if len(set(target)) < len(target):
        return None
    product = None
    for value, labels in terms:
        if len(set(labels)) < len(labels) or not set(labels) <= set(target):
            return None
        axes = sorted(range(len(labels)), key=lambda a: target.index(labels[a]))
        sizes = [value.shape[labels.index(c)] if c in labels else 1 for c in target]
        value = value.transpose(axes).reshape(sizes)  # inserts size-1 axes: a view
        product = value if product is None else np.multiply(product, value)
    if product.shape == shape and len(terms) > 1:
        return np.asarray(product)  # new from multiply (asarray: 0-d stays an array)
    if any(p not in (1, n) for p, n in zip(product.shape, shape)):
        return None  # a broadcast size-1 axis of x_k: its sum is einsum's job
    return np.broadcast_to(product, shape).copy()


def _diagonal_gradient(terms: list, term: str, shape: tuple, dtype: Any, optimize: Any):
    """For arrays, a repeated label's gradient without an identity matrix: computed on
    the diagonal only, then written into zeros through ``np.einsum``'s writable
    diagonal view ('ii->i' of the result). None when the shapes do not line up (a
    broadcast size-1 axis): the caller then ties the diagonal by eye as usual."""
    distinct = "".join(dict.fromkeys(term))
    spec = ",".join(s for _, s in terms) + "->" + distinct
    values = np.einsum(spec, *(v for v, _ in terms), optimize=optimize)
    out = np.zeros(shape, dtype=dtype)
    view = np.einsum(term + "->" + distinct, out)
    if view.shape != values.shape:
        return None
    view[...] = values
    return out


class Einsum(Function):
    """out = einsum(labels -> output, *xs);   grad_x_k = einsum(output, labels of the
    others -> labels_k, grad, *others) (diagonals tied by eye, lone labels by ones)"""

    name = "einsum"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, *xs: np.ndarray, subscripts: str = "", optimize: Any = False
    ):
        labels, output = _parse(subscripts, tuple(x.shape for x in xs))
        ctx.labels, ctx.output, ctx.optimize = labels, output, optimize
        return np.einsum(",".join(labels) + "->" + output, *xs, optimize=optimize)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        return tuple(
            _operand_gradient(ctx, grad, k) if needed else None
            for k, needed in enumerate(ctx.needs_input_grad)
        )


def einsum(*args: Any, optimize: Any = False) -> Tensor:
    """Einstein summation, as ``np.einsum``: any subscripts NumPy accepts (implicit or
    ``->`` output, ``...`` broadcasting, repeated labels for diagonals and traces) and
    the sublist form ``einsum(x, [0, 1], y, [1, 2])``; differentiable in every operand.

    >>> import tinygrad_edu as tg
    >>> a = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> tg.einsum("ii", a).item()
    5.0
    >>> tg.einsum("ii->i", a).backward(tg.Tensor([1.0, 1.0])); a.grad.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if not args:
        raise ValueError("einsum: needs subscripts and at least one operand")
    if isinstance(args[0], str):
        subscripts, operands = args[0], list(args[1:])
    else:
        subscripts, operands = _from_sublists(args)
    if not operands:
        raise ValueError(f"einsum: subscripts {subscripts!r} but no operands")
    return Einsum.apply(*operands, subscripts=subscripts, optimize=optimize)


# ---- products built on einsum ----------------------------------------------------


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """Sum of products over ``axes`` of a and b, as ``np.tensordot`` (an int N: the
    last N axes of a with the first N of b; or a pair of axis lists). Composite: an
    einsum.

    >>> import tinygrad_edu as tg
    >>> tg.tensordot(tg.ones(2, 3, 4), tg.ones(3, 4, 5)).shape
    (2, 5)
    """
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(
                f"tensordot: axes={axes} for shapes {a.shape} and {b.shape}"
            )
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        try:
            axes_a, axes_b = (
                [x] if isinstance(x, (int, np.integer)) else list(x) for x in axes
            )
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}"
            ) from None
        axes_a = [normalize_axes(x, a.ndim, "tensordot")[0] for x in axes_a]
        axes_b = [normalize_axes(x, b.ndim, "tensordot")[0] for x in axes_b]
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: {len(axes_a)} axes of a but {len(axes_b)} of b")
    letters = iter(string.ascii_letters)
    sub_a = [next(letters) for _ in range(a.ndim)]
    sub_b = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: shape mismatch for sum: axis {i} of a {a.shape} has size "
                f"{a.shape[i]} but axis {j} of b {b.shape} has size {b.shape[j]}"
            )
        sub_b[j] = sub_a[i]
    out = [s for i, s in enumerate(sub_a) if i not in axes_a]
    out += [s for j, s in enumerate(sub_b) if j not in axes_b]
    return einsum(f"{''.join(sub_a)},{''.join(sub_b)}->{''.join(out)}", a, b)


def dot(a: Any, b: Any) -> Tensor:
    """NumPy's ``dot``: a product for scalars, the inner product of vectors, matmul for
    matrices, and for N-D the sum over a's last axis and b's second-to-last.

    >>> import tinygrad_edu as tg
    >>> tg.dot(tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])).item()
    11.0
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    k_b = 0 if b.ndim == 1 else b.ndim - 2
    if a.shape[-1] != b.shape[k_b]:
        raise ValueError(
            f"dot: shapes {a.shape} and {b.shape} not aligned: {a.shape[-1]} (dim "
            f"{a.ndim - 1}) != {b.shape[k_b]} (dim {k_b})"
        )
    return tensordot(a, b, ([a.ndim - 1], [k_b]))


def inner(a: Any, b: Any) -> Tensor:
    """Sum of products over the last axes of a and b, as ``np.inner`` (composite)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: last axes of shapes {a.shape} and {b.shape} differ")
    return tensordot(a, b, ([-1], [-1]))


def outer(a: Any, b: Any) -> Tensor:
    """``out[i, j] = a[i] * b[j]`` of the flattened inputs, as ``np.outer``.

    >>> import tinygrad_edu as tg
    >>> tg.outer(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 10.0])).tolist()
    [[1.0, 10.0], [2.0, 20.0]]
    """
    return reshape(ravel(a), -1, 1) * reshape(ravel(b), 1, -1)


def cross(a: Any, b: Any, axis: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``axis`` (the others broadcast), as
    ``np.cross`` (composite of products and a stack).

    >>> import tinygrad_edu as tg
    >>> tg.cross(tg.Tensor([1.0, 0.0, 0.0]), tg.Tensor([0.0, 1.0, 0.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("cross: needs vectors, got a 0-d tensor")
    a = moveaxis(a, one_axis(axis, a.ndim, "cross"), -1)
    b = moveaxis(b, one_axis(axis, b.ndim, "cross"), -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(
            f"cross: vectors along axis {axis} must have 3 components, got shapes "
            f"{a.shape} and {b.shape} (axis moved last)"
        )
    a0, a1, a2 = (a[..., i] for i in range(3))
    b0, b1, b2 = (b[..., i] for i in range(3))
    parts = [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0]
    out = concatenate([p.expand_dims(-1) for p in parts], axis=-1)
    return moveaxis(out, -1, axis)


def kron(a: Any, b: Any) -> Tensor:
    """Kronecker product: blocks ``a[i, j] * b``, as ``np.kron`` (composite: a
    broadcast product and a reshape).

    >>> import tinygrad_edu as tg
    >>> tg.kron(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 10.0])).tolist()
    [1.0, 10.0, 2.0, 20.0]
    """
    a, b = as_tensor(a), as_tensor(b)
    ndim = max(a.ndim, b.ndim)
    shape_a = (1,) * (ndim - a.ndim) + a.shape
    shape_b = (1,) * (ndim - b.ndim) + b.shape
    a = reshape(a, [n for s in shape_a for n in (s, 1)])
    b = reshape(b, [n for s in shape_b for n in (1, s)])
    return reshape(a * b, tuple(p * q for p, q in zip(shape_a, shape_b)))


# ---- diagonals -------------------------------------------------------------------


def _diagonal_index(rows: int, cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    n = max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))
    steps = np.arange(n)
    return steps + max(-offset, 0), steps + max(offset, 0)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the (axis1, axis2) planes, as the last axis, as
    ``np.diagonal`` (composite: an index; the gradient lands on the diagonal).

    >>> import tinygrad_edu as tg
    >>> tg.diagonal(tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [1.0, 4.0]
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 dims, got shape {x.shape}")
    a = normalize_axes(axis1, x.ndim, "diagonal")[0]
    b = normalize_axes(axis2, x.ndim, "diagonal")[0]
    if a == b:
        raise ValueError(
            f"diagonal: axis1 and axis2 cannot be the same ({axis1}, {axis2})"
        )
    moved = transpose(x, *[i for i in range(x.ndim) if i not in (a, b)], a, b)
    rows, cols = _diagonal_index(x.shape[a], x.shape[b], int(offset))
    return getitem(moved, (Ellipsis, rows, cols))


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum along a diagonal, as ``np.trace`` (composite: diagonal then sum).

    >>> import tinygrad_edu as tg
    >>> tg.trace(tg.eye(3)).item()
    3.0
    """
    return diagonal(x, offset, axis1, axis2).sum(axis=-1)


def diag(v: Any, k: int = 0) -> Tensor:
    """For 1-D v, a square matrix with v on diagonal ``k``; for 2-D v, its diagonal
    ``k``, as ``np.diag`` (composite: a scatter, or ``diagonal``).

    >>> import tinygrad_edu as tg
    >>> tg.diag(tg.Tensor([1.0, 2.0])).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    v = as_tensor(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"diag: input must be 1-D or 2-D, got shape {v.shape}")
    n = v.shape[0] + abs(int(k))
    return ScatterAdd.apply(v, index=_diagonal_index(n, n, int(k)), shape=(n, n))
