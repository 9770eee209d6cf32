"""Shape ops: reshape, transpose, broadcast_to, indexing, concatenate, pad, astype
(primitives); stack, squeeze, expand_dims, flatten, swapaxes (composites).

They move numbers around without changing them, so each backward moves the gradient
back: reshape's is a reshape, transpose's the inverse transpose, indexing's a
scatter-add (repeated indices accumulate), concatenate's a split.

Read next: ``ops/linalg.py``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd import Context, Function, unbroadcast
from ..tensor import Tensor, _shape_arg, as_tensor
from ._util import is_int, normalize_axes, one_axis, real_number
from .nograd import no_grad_result


class Reshape(Function):
    """out = x viewed with a new shape;   grad_x = grad reshaped back"""

    name = "reshape"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple = ()) -> np.ndarray:
        ctx.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} "
                f"({x.size} elements) into {shape}"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad.reshape(ctx.in_shape)


class Transpose(Function):
    """out = x with axes permuted;   grad_x = grad with the inverse permutation"""

    name = "transpose"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple | None = None) -> np.ndarray:
        if axes is None:
            axes = tuple(reversed(range(x.ndim)))
        in_range = all(-x.ndim <= a < max(x.ndim, 1) for a in axes)
        if not in_range or sorted(a % max(x.ndim, 1) for a in axes) != list(
            range(x.ndim)
        ):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of {x.ndim} axes"
            )
        ctx.inverse = tuple(int(i) for i in np.argsort([a % x.ndim for a in axes]))
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad.transpose(ctx.inverse)


class BroadcastTo(Function):
    """out = x broadcast to ``shape``;   grad_x = grad summed over the broadcast axes"""

    name = "broadcast_to"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple = ()) -> np.ndarray:
        ctx.in_shape = x.shape
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {x.shape} to {shape}"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return unbroadcast(grad, ctx.in_shape, "broadcast_to")


def normalize_index(index: Any) -> Any:
    """An index with Tensors replaced by their arrays (NumPy does the rest)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        if not index:  # x[[]]: no elements (NumPy's empty list is an integer index)
            return np.zeros(0, dtype=np.intp)
        try:
            return np.asarray(index)
        except ValueError:  # ragged: NumPy's message would not say it is the index
            raise IndexError(
                f"index: a list used as an index must be rectangular, got {index!r}"
            ) from None
    return index


def _may_repeat(index: Any) -> bool:
    """Integer-array indices may name an element twice; then gradients must add up."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def _scatter_add(grad: np.ndarray, index: Any, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, dtype=grad.dtype)
    if _may_repeat(index):
        np.add.at(out, index, grad)  # x[[0, 0]]: both picks send gradient to x[0]
    else:
        out[index] = grad
    return out


class GetItem(Function):
    """out = x[index];   grad_x = zeros with grad added at index (repeats accumulate)"""

    name = "getitem"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: Any = None) -> np.ndarray:
        ctx.index, ctx.in_shape = index, x.shape
        return x[index]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        if isinstance(grad, Tensor):
            return ScatterAdd.apply(grad, index=ctx.index, shape=ctx.in_shape)
        return _scatter_add(grad, ctx.index, ctx.in_shape)

    @classmethod
    def explain_error(cls, error: Exception, tensors: Any, params: dict) -> Exception:
        return type(error)(
            f"getitem: index {params.get('index')!r} does not fit a tensor of shape "
            f"{tensors[0].shape}: {error}"
        )


class ScatterAdd(Function):
    """out = zeros, g added at index;   grad_g = grad[index]  (GetItem's adjoint)"""

    name = "scatter_add"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, g: np.ndarray, index: Any = None, shape: tuple = ()
    ) -> np.ndarray:
        ctx.index = index
        return _scatter_add(g, index, shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad[ctx.index]


class Concatenate(Function):
    """out = inputs joined along ``axis``;   grad of each input = its slice of grad"""

    name = "concatenate"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        if not arrays:
            raise ValueError("need at least one tensor to concatenate")
        if any(a.ndim == 0 for a in arrays):  # (no axis to join them along)
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                "concatenate: zero-dimensional arrays cannot be concatenated (shapes "
                f"{shapes}); tg.stack joins them along a new axis"
            )
        ctx.axis = one_axis(axis, arrays[0].ndim, "concatenate")
        ctx.sizes = [a.shape[ctx.axis] for a in arrays]
        return np.concatenate(arrays, axis=ctx.axis)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        grads, start = [], 0
        before = (slice(None),) * ctx.axis
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad):
            grads.append(
                grad[before + (slice(start, start + size),)] if needed else None
            )
            start += size
        return tuple(grads)


class Pad(Function):
    """out = x padded with a constant (``pad_width``);   grad_x = grad's inner slice"""

    name = "pad"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, pad_width: Any = 0, value: float = 0.0
    ) -> np.ndarray:
        widths = _pad_widths(pad_width, x.ndim)
        ctx.inner = tuple(
            slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, x.shape)
        )
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad[ctx.inner]


def _pad_widths(pad_width: Any, ndim: int) -> np.ndarray:
    """NumPy's ``pad_width`` (n, (n,), (before, after) or one pair per axis) as an
    (ndim, 2) array of ints; a float width is a TypeError, never truncated."""
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu" or widths.size == 0:
        raise TypeError(f"pad: pad_width must be ints, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor of {ndim} dims (give "
            "one (before, after) pair, or one per axis)"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: negative pad width in {pad_width!r}")
    return widths


class AsType(Function):
    """out = x converted to another float dtype;   grad_x = grad converted back"""

    name = "astype"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dtype: Any = None) -> np.ndarray:
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad.astype(ctx.in_dtype)


# ---- the functional API ----------------------------------------------------------


def reshape(x: Any, *shape: Any) -> Tensor:
    """A view with a new shape (one axis may be -1), as ``np.reshape``.

    >>> import tinygrad_edu as tg
    >>> tg.arange(6.0).reshape(2, 3).shape
    (2, 3)
    """
    return Reshape.apply(x, shape=_shape_arg(shape, "reshape"))


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute the axes (reverse them when none are given), as ``np.transpose``."""
    axes_tuple = _shape_arg(axes, "transpose") if axes and axes[0] is not None else None
    return Transpose.apply(x, axes=axes_tuple)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes (composite: a transpose)."""
    x = as_tensor(x, op="swapaxes")
    order = list(range(x.ndim))
    a = one_axis(axis1, x.ndim, "swapaxes")
    b = one_axis(axis2, x.ndim, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return transpose(x, *order)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape`` as ``np.broadcast_to``; the gradient sums back."""
    return BroadcastTo.apply(x, shape=_shape_arg((shape,), "broadcast_to"))


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]``: basic, integer-array and boolean-mask indexing, as NumPy.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward(); x.grad.tolist()
    [2.0, 0.0, 1.0]
    """
    return GetItem.apply(x, index=normalize_index(index))


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``np.concatenate``."""
    tensors = [as_tensor(t, op="concatenate") for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis, as ``np.stack`` (composite).

    >>> import tinygrad_edu as tg
    >>> tg.stack([tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])], axis=1).shape
    (2, 2)
    """
    tensors = [as_tensor(t, op="stack") for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(
            f"stack: all tensors must have the same shape, got {sorted(shapes)}"
        )
    axis = one_axis(axis, tensors[0].ndim + 1, "stack")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def pad(x: Any, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with a constant; NumPy's ``pad_width``: (before, after) per axis."""
    return Pad.apply(x, pad_width=pad_width, value=real_number(value, "pad", "value"))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove size-1 axes (all, or those named), as ``np.squeeze`` (composite)."""
    x = as_tensor(x, op="squeeze")
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes(axis, x.ndim, "squeeze")
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(
                    f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1"
                )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert size-1 axes at ``axis`` (int/tuple) as ``np.expand_dims`` (composite)."""
    x = as_tensor(x, op="expand_dims")
    if is_int(axis):
        count = 1
    elif isinstance(axis, (tuple, list)):
        count = len(axis)
    else:
        raise TypeError(
            f"expand_dims: axis must be an int or a tuple of ints, got {axis!r}"
        )
    axes = normalize_axes(axis, x.ndim + count, "expand_dims")
    sizes = iter(x.shape)
    return reshape(
        x, tuple(1 if i in axes else next(sizes) for i in range(x.ndim + count))
    )


def flatten(x: Any) -> Tensor:
    """The elements as a 1-D tensor (composite: a reshape)."""
    return reshape(x, -1)


def astype(x: Any, dtype: Any) -> Tensor:
    """Convert the dtype. Float to float is differentiable; other results: no grad."""
    x = as_tensor(x, op="astype")
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"astype: {error}") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"astype: dtype must be bool, int or float, got {dtype}")
    if dtype.kind != "f" or x.dtype.kind != "f":  # no gradient (an op: compile)
        return no_grad_result("astype", lambda a: a.astype(dtype), x)
    return AsType.apply(x, dtype=dtype)
