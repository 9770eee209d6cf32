"""Every op of tinygrad_edu as a function (the functional API), by family.

``binary`` (+ - * / ** maximum minimum where, comparisons), ``elementwise`` (exp,
log, the activations), ``reduce`` (sum, max, mean, softmax, ...), ``shape``
(reshape, indexing, concatenate, ...), ``linalg`` (matmul, linear), ``conv`` and
``pool`` (conv nets).
"""

from . import shape  # noqa: F401  (Tensor.__setitem__ uses shape.normalize_index)
# the losses' fused ops (issue 19): their public functions are in nn.functional
from . import losses  # noqa: F401
from .binary import (
    add, divide, equal, greater, greater_equal, less, less_equal, maximum, minimum,
    multiply, not_equal, power, subtract, where,
)
from .elementwise import (
    abs, clip, cos, elu, erf, exp, gelu, leaky_relu, log, negative, relu, sigmoid, sin,
    softplus, sqrt, square, tanh,
)
from .linalg import linear, matmul
from .nograd import all, any  # noqa: A004  (Tensor.all / .any: no gradient)
# conv nets (issue 16): im2col/col2im, convolutions, pooling, batch norm
from .conv import conv2d, conv_transpose2d, fold, unfold
from .pool import avg_pool2d, batch_norm, max_pool2d
from .reduce import (
    argmax, argmin, log_softmax, logsumexp, max, mean, min, prod, softmax, std, sum,
    var,
)
from .shape import (
    astype, broadcast_to, concatenate, expand_dims, flatten, getitem, pad, reshape,
    squeeze, stack, swapaxes, transpose,
)

__all__ = [
    # binary
    "add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "where",
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
    # elementwise
    "negative", "exp", "log", "sqrt", "square", "abs", "sin", "cos", "tanh", "sigmoid",
    "relu", "leaky_relu", "elu", "softplus", "erf", "gelu", "clip",
    # reduce
    "sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "softmax",
    "log_softmax", "argmax", "argmin",
    # shape
    "reshape", "transpose", "swapaxes", "broadcast_to", "getitem", "concatenate",
    "stack", "pad", "squeeze", "expand_dims", "flatten", "astype",
    # linalg
    "matmul", "linear",
    # conv nets
    "unfold", "fold", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
    "batch_norm",
]

# ---- NumPy's differentiable surface (issue 16): more math, arrangement, contractions
from .arrange import (  # noqa: E402
    flip, fliplr, flipud, moveaxis, ravel, repeat, roll, rot90, sort, tile, tril, triu,
)
from .contract import (  # noqa: E402
    cross, diag, diagonal, dot, einsum, inner, kron, outer, tensordot, trace,
)
from .joining import (  # noqa: E402
    append, array_split, atleast_1d, atleast_2d, atleast_3d, column_stack, dsplit,
    dstack, hsplit, hstack, split, vsplit, vstack,
)
from .mathematical import (  # noqa: E402
    ceil, cumprod, cumsum, diff, exp2, expm1, floor, fmax, fmin, fmod, log10, log1p,
    log2, logaddexp, mod, nan_to_num, round, sign, trunc,
)
from .trig import (  # noqa: E402
    arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, cosh, hypot, sinc,
    sinh, tan,
)

__all__ += [
    # trig
    "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arctan2", "arcsinh",
    "arccosh", "arctanh", "hypot", "sinc",
    # mathematical
    "log2", "log10", "log1p", "expm1", "exp2", "logaddexp", "sign", "floor", "ceil",
    "round", "trunc", "mod", "fmod", "fmax", "fmin", "nan_to_num", "cumsum", "cumprod",
    "diff",
    # arrange, joining
    "sort", "tile", "repeat", "roll", "flip", "fliplr", "flipud", "rot90", "tril",
    "triu", "split", "array_split", "hsplit", "vsplit", "dsplit", "append", "hstack",
    "vstack", "dstack", "column_stack", "ravel", "moveaxis", "atleast_1d",
    "atleast_2d", "atleast_3d",
    # contract
    "einsum", "tensordot", "dot", "inner", "outer", "cross", "kron", "trace",
    "diagonal", "diag",
]
