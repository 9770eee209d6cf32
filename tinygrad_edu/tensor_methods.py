"""The Tensor methods that are one line each: the operator dunders, the op methods,
the creation classmethods and the NumPy surface. ``Tensor`` (tensor.py) inherits
them from ``TensorMethods``; the math lives in ``tinygrad_edu.ops``, so grep finds
every ``def relu`` here and its forward and backward there.

This module cannot import ``ops``, ``interop`` or ``creation`` while it is being
executed: they import ``Tensor``, which inherits from the class below. tensor.py
imports them at its end and binds them here (``tensor_methods.ops = ops``); until
then they are None. (A per-call ``import`` would cost every ``x + y``.)

Read next: ``autograd.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor, TensorLike

# bound at the end of tensor.py, once these modules (which import Tensor) exist
ops: Any = None
interop: Any = None
creation: Any = None


class TensorMethods:
    """Tensor's one-line methods (a base class with no state of its own)."""

    __slots__ = ()

    # ---- arithmetic dunders (the math lives in ops/) ---------------------------

    def __add__(self, other: TensorLike) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: TensorLike) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: TensorLike) -> Tensor:
        return ops.subtract(self, other)

    def __rsub__(self, other: TensorLike) -> Tensor:
        return ops.subtract(other, self)

    def __mul__(self, other: TensorLike) -> Tensor:
        return ops.multiply(self, other)

    def __rmul__(self, other: TensorLike) -> Tensor:
        return ops.multiply(other, self)

    def __truediv__(self, other: TensorLike) -> Tensor:
        return ops.divide(self, other)

    def __rtruediv__(self, other: TensorLike) -> Tensor:
        return ops.divide(other, self)

    def __pow__(self, other: TensorLike) -> Tensor:
        return ops.power(self, other)

    def __rpow__(self, other: TensorLike) -> Tensor:
        return ops.power(other, self)

    def __matmul__(self, other: TensorLike) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: TensorLike) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    # comparisons: boolean tensors, no gradient
    def __lt__(self, other: TensorLike) -> Tensor:
        return ops.less(self, other)

    def __le__(self, other: TensorLike) -> Tensor:
        return ops.less_equal(self, other)

    def __gt__(self, other: TensorLike) -> Tensor:
        return ops.greater(self, other)

    def __ge__(self, other: TensorLike) -> Tensor:
        return ops.greater_equal(self, other)

    def __eq__(self, other: TensorLike) -> Tensor:  # type: ignore[override]
        return ops.equal(self, other)

    def __ne__(self, other: TensorLike) -> Tensor:  # type: ignore[override]
        return ops.not_equal(self, other)

    __hash__ = object.__hash__  # __eq__ is elementwise, identity stays the hash

    # logic on bool tensors (bitwise on ints, as NumPy) and floor division: no graph,
    # NumPy on the arrays (interop.no_grad_ufunc). ``//`` is piecewise constant, so
    # its gradient is 0 everywhere (PyTorch's is zeros): as a constant of the graph
    # it sends the same nothing back to every leaf.
    def __invert__(self) -> Tensor:
        return interop.no_grad_ufunc(np.invert, self)

    def __and__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.bitwise_and, self, other)

    def __rand__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.bitwise_and, other, self)

    def __or__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.bitwise_or, self, other)

    def __ror__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.bitwise_or, other, self)

    def __xor__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.bitwise_xor, self, other)

    def __rxor__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.bitwise_xor, other, self)

    def __floordiv__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.floor_divide, self, other)

    def __rfloordiv__(self, other: TensorLike) -> Tensor:
        return interop.no_grad_ufunc(np.floor_divide, other, self)

    # ---- op methods: one line each, so grep finds every `def relu` ------------

    def add(self, other: TensorLike) -> Tensor:
        return ops.add(self, other)

    def subtract(self, other: TensorLike) -> Tensor:
        return ops.subtract(self, other)

    def multiply(self, other: TensorLike) -> Tensor:
        return ops.multiply(self, other)

    def divide(self, other: TensorLike) -> Tensor:
        return ops.divide(self, other)

    def power(self, other: TensorLike) -> Tensor:
        return ops.power(self, other)

    def matmul(self, other: TensorLike) -> Tensor:
        return ops.matmul(self, other)

    def linear(self, weight: TensorLike, bias: TensorLike | None = None) -> Tensor:
        return ops.linear(self, weight, bias)

    def negative(self) -> Tensor:
        return ops.negative(self)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def square(self) -> Tensor:
        return ops.square(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def sin(self) -> Tensor:
        return ops.sin(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return ops.leaky_relu(self, negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        return ops.elu(self, alpha)

    def softplus(self) -> Tensor:
        return ops.softplus(self)

    def gelu(self, approximate: str = "none") -> Tensor:
        return ops.gelu(self, approximate)

    def erf(self) -> Tensor:
        return ops.erf(self)

    def clip(self, lo: Any, hi: Any) -> Tensor:
        return ops.clip(self, lo, hi)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.min(self, axis, keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.prod(self, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return ops.var(self, axis, keepdims, ddof)

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return ops.std(self, axis, keepdims, ddof)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.logsumexp(self, axis, keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return ops.argmax(self, axis, keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return ops.argmin(self, axis, keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.all(self, axis, keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.any(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    def transpose(self, *axes: Any) -> Tensor:
        return ops.transpose(self, *axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return ops.swapaxes(self, axis1, axis2)

    def flatten(self) -> Tensor:
        return ops.flatten(self)

    def squeeze(self, axis: Any = None) -> Tensor:
        return ops.squeeze(self, axis)

    def expand_dims(self, axis: Any) -> Tensor:
        return ops.expand_dims(self, axis)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.broadcast_to(self, shape)

    def pad(self, pad_width: Any, value: float = 0.0) -> Tensor:
        return ops.pad(self, pad_width, value)

    def astype(self, dtype: Any) -> Tensor:
        return ops.astype(self, dtype)

    # ---- creation (also module-level functions) --------------------------------

    @classmethod
    def zeros(
        cls, *shape: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.zeros(*shape, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def ones(
        cls, *shape: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.ones(*shape, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def full(
        cls, shape: Any, value: float, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.full(shape, value, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def eye(
        cls,
        n: int,
        m: int | None = None,
        dtype: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:
        return creation.eye(n, m, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def rand(
        cls, *shape: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.rand(*shape, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def randn(
        cls, *shape: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.randn(*shape, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def arange(
        cls, *args: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.arange(*args, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def zeros_like(
        cls, t: TensorLike, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.zeros_like(t, dtype=dtype, requires_grad=requires_grad)

    @classmethod
    def ones_like(
        cls, t: TensorLike, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return creation.ones_like(t, dtype=dtype, requires_grad=requires_grad)

    # ---- NumPy surface (issue 16): the functions NumPy also has as methods, and
    # interop

    def __array_ufunc__(
        self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any
    ) -> Any:
        return interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return interop.array_function(func, types, args, kwargs)

    def __mod__(self, other: TensorLike) -> Tensor:
        return ops.mod(self, other)

    def __rmod__(self, other: TensorLike) -> Tensor:
        return ops.mod(other, self)

    def mod(self, other: TensorLike) -> Tensor:
        return ops.mod(self, other)

    def fmod(self, other: TensorLike) -> Tensor:
        return ops.fmod(self, other)

    def tan(self) -> Tensor:
        return ops.tan(self)

    def sinh(self) -> Tensor:
        return ops.sinh(self)

    def cosh(self) -> Tensor:
        return ops.cosh(self)

    def arcsin(self) -> Tensor:
        return ops.arcsin(self)

    def arccos(self) -> Tensor:
        return ops.arccos(self)

    def arctan(self) -> Tensor:
        return ops.arctan(self)

    def arcsinh(self) -> Tensor:
        return ops.arcsinh(self)

    def arccosh(self) -> Tensor:
        return ops.arccosh(self)

    def arctanh(self) -> Tensor:
        return ops.arctanh(self)

    def arctan2(self, other: TensorLike) -> Tensor:
        return ops.arctan2(self, other)

    def hypot(self, other: TensorLike) -> Tensor:
        return ops.hypot(self, other)

    def sinc(self) -> Tensor:
        return ops.sinc(self)

    def log2(self) -> Tensor:
        return ops.log2(self)

    def log10(self) -> Tensor:
        return ops.log10(self)

    def log1p(self) -> Tensor:
        return ops.log1p(self)

    def expm1(self) -> Tensor:
        return ops.expm1(self)

    def exp2(self) -> Tensor:
        return ops.exp2(self)

    def logaddexp(self, other: TensorLike) -> Tensor:
        return ops.logaddexp(self, other)

    def fmax(self, other: TensorLike) -> Tensor:
        return ops.fmax(self, other)

    def fmin(self, other: TensorLike) -> Tensor:
        return ops.fmin(self, other)

    def sign(self) -> Tensor:
        return ops.sign(self)

    def floor(self) -> Tensor:
        return ops.floor(self)

    def ceil(self) -> Tensor:
        return ops.ceil(self)

    def round(self, decimals: int = 0) -> Tensor:
        return ops.round(self, decimals)

    def __round__(self, ndigits: int | None = None) -> Tensor:
        """``round(t, 1)``: elementwise, a Tensor (as NumPy arrays and torch do)."""
        return ops.round(self, 0 if ndigits is None else ndigits)

    def trunc(self) -> Tensor:
        return ops.trunc(self)

    def nan_to_num(
        self, nan: float = 0.0, posinf: Any = None, neginf: Any = None
    ) -> Tensor:
        return ops.nan_to_num(self, nan=nan, posinf=posinf, neginf=neginf)

    def cumsum(self, axis: int | None = None) -> Tensor:
        return ops.cumsum(self, axis)

    def cumprod(self, axis: int | None = None) -> Tensor:
        return ops.cumprod(self, axis)

    def diff(self, n: int = 1, axis: int = -1) -> Tensor:
        return ops.diff(self, n, axis)

    def sort(self, axis: int | None = -1) -> Tensor:
        """A sorted copy (np.sort; unlike ndarray.sort, self is left as it is)."""
        return ops.sort(self, axis)

    def tile(self, reps: Any) -> Tensor:
        return ops.tile(self, reps)

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        return ops.repeat(self, repeats, axis)

    def roll(self, shift: Any, axis: Any = None) -> Tensor:
        return ops.roll(self, shift, axis)

    def flip(self, axis: Any = None) -> Tensor:
        return ops.flip(self, axis)

    def fliplr(self) -> Tensor:
        return ops.fliplr(self)

    def flipud(self) -> Tensor:
        return ops.flipud(self)

    def rot90(self, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:
        return ops.rot90(self, k, axes)

    def tril(self, k: int = 0) -> Tensor:
        return ops.tril(self, k)

    def triu(self, k: int = 0) -> Tensor:
        return ops.triu(self, k)

    def ravel(self) -> Tensor:
        return ops.ravel(self)

    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        return ops.moveaxis(self, source, destination)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        return ops.diagonal(self, offset, axis1, axis2)

    def diag(self, k: int = 0) -> Tensor:
        return ops.diag(self, k)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        return ops.trace(self, offset, axis1, axis2)

    def dot(self, other: TensorLike) -> Tensor:
        return ops.dot(self, other)
