"""Bad input at every public entry point: a clear exception that names the function
and the argument (or the shapes / values at fault).

One table, ``BAD_INPUTS``: entry point, the bad input, the exception type and a
key fragment of its message. The test checks each row; the README's "Errors"
section is this table, printed by::

    python -m tests.reliability.test_bad_input
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, debug, linear, nn, optim, train, viz
from tinygrad_edu.data import DataLoader, datasets
from tinygrad_edu.nn import functional as F
from tinygrad_edu.optim import lr_scheduler
from tinygrad_edu.testing import gradcheck


@dataclass(frozen=True)
class Bad:
    entry: str  # the public entry point
    given: str  # what was wrong with the input
    call: Callable[[], Any]
    raises: type[BaseException] | tuple[type[BaseException], ...]
    says: str  # a fragment of the message (a regular expression)


def p() -> nn.Parameter:
    return nn.Parameter([1.0, 2.0])


def loader(n=4, **kw) -> DataLoader:
    return DataLoader(np.ones((n, 2)), np.ones((n, 1)), **kw)


def fit(model=None, loss_fn=F.mse_loss, data=None, **kw):
    model = model or nn.Linear(2, 1)
    kw.setdefault("epochs", 1)
    kw.setdefault("progress", False)
    data = loader() if data is None else data  # (an empty DataLoader is falsy)
    return train.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), data, **kw)


class TwoGradients(tg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # one input, two gradients


def _hooked_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: np.ones(3))
    (x * 2).sum().backward()


def _second_backward():
    y = Tensor([1.0, 2.0], requires_grad=True).exp().sum()
    y.backward()
    y.backward()


def _modified_after_use():
    a = Tensor([1.0, 2.0], requires_grad=True) * 1.0
    b = a.exp()
    with tg.no_grad():
        a += 1
    b.sum().backward()


def _write(path, data: bytes):
    with open(path, "wb") as f:
        f.write(data)
    return path


def _load_bytes(tmp, name, data):
    return tg.load(_write(tmp / name, data))


def _plain_npz(tmp):
    np.savez(tmp / "plain.npz", w=np.ones(2))
    return tg.load(tmp / "plain.npz")


def _truncated(tmp):
    tg.save({"w": np.ones(100)}, tmp / "whole.npz")
    data = (tmp / "whole.npz").read_bytes()
    return _load_bytes(tmp, "cut.npz", data[: len(data) // 2])


def _sgd_momentum():
    return optim.SGD([p()], lr=0.1, momentum=0.9)


BAD_INPUTS: list[Bad] = [
    # ---- Tensor creation ----
    Bad("Tensor", "None", lambda: Tensor(None), TypeError,
        "Tensor: cannot make a numeric tensor from NoneType"),
    Bad("Tensor", "a string", lambda: Tensor("abc"), TypeError, "Tensor: expected numeric data"),
    Bad("Tensor", "a ragged nested list", lambda: Tensor([[1.0, 2.0], [3.0]]), ValueError,
        r"Tensor.*(ragged|inhomogeneous)"),
    Bad("Tensor", "a Python complex", lambda: Tensor(1 + 2j), TypeError, "Tensor.*complex"),
    Bad("Tensor", "a complex or object ndarray", lambda: Tensor(np.array([1j])), TypeError,
        r"Tensor: expected a numeric array \(bool, int or float\)"),
    Bad("Tensor", "int data with requires_grad=True", lambda: Tensor([1, 2], requires_grad=True),
        TypeError, "only floating-point tensors can require grad"),
    Bad("Tensor", "dtype='foo'", lambda: Tensor([1.0], dtype="foo"), TypeError,
        "data type 'foo' not understood"),
    Bad("zeros / ones / rand / randn / eye", "a negative size", lambda: tg.zeros(-1), ValueError,
        "negative dimensions are not allowed"),
    Bad("zeros / ones / rand / randn", "a float size (2.5)", lambda: tg.zeros(2.5), TypeError,
        "zeros"),
    Bad("full", "a non-numeric value", lambda: tg.full((2,), "x"), TypeError,
        "expected numeric data"),
    Bad("zeros / ones / full / eye / rand / randn / arange", "more than 4 GiB (2**40)",
        lambda: tg.zeros(2**40), ValueError,
        r"zeros: shape \(1099511627776,\) needs 4398046511104 bytes, more than "
        "MAX_CREATE_BYTES"),
    Bad("manual_seed", "a string seed", lambda: tg.manual_seed("a"), (TypeError, ValueError),
        "manual_seed"),
    Bad("set_default_dtype", "an integer dtype", lambda: tg.set_default_dtype(np.int64),
        TypeError, "set_default_dtype: expected a floating dtype"),
    # ---- ops ----
    Bad("+ - * / ** maximum ...", "shapes (2, 3) and (4,)", lambda: tg.ones(2, 3) + tg.ones(4),
        ValueError, r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast together"),
    Bad("+ - * / ** ...", "a string operand", lambda: tg.ones(2) + "a", TypeError,
        "add: expected numeric data"),
    Bad("@ / matmul", "shapes (3, 4) and (5, 2)", lambda: tg.ones(3, 4) @ tg.ones(5, 2),
        ValueError, r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned \(4 != 5\)"),
    Bad("@ / matmul", "a 0-d operand", lambda: tg.ones(()) @ tg.ones(3), ValueError,
        "scalars cannot be matrix-multiplied"),
    Bad("reshape", "6 elements into (4, 2)", lambda: tg.ones(6).reshape(4, 2), ValueError,
        r"reshape: cannot reshape a tensor of shape \(6,\)"),
    Bad("reshape", "a non-integer shape", lambda: tg.ones(6).reshape("a"), TypeError,
        "reshape: a shape is a sequence of ints"),
    Bad("sum / mean / max / ... (axis)", "axis 5 of a 2-D tensor",
        lambda: tg.ones(2, 3).sum(axis=5), ValueError, "sum: axis 5 is out of bounds"),
    Bad("sum / mean / max / ... (axis)", "axis=1.5", lambda: tg.ones(2, 3).sum(axis=1.5),
        TypeError, "sum: .*axis"),
    Bad("sum / mean / max / ... (axis)", "a list of axes ([0])",
        lambda: tg.ones(2, 3).sum(axis=[0]), TypeError,
        "sum: axis must be None, an int or a tuple of ints"),
    Bad("transpose", "axes (0, 0)", lambda: tg.ones(2, 3).transpose(0, 0), ValueError,
        r"transpose: axes \(0, 0\) are not a permutation"),
    Bad("t[...] (getitem)", "index 5 of a length-3 tensor", lambda: tg.ones(3)[5], IndexError,
        r"getitem: index 5 does not fit a tensor of shape \(3,\)"),
    Bad("concatenate", "an empty list", lambda: tg.concatenate([]), ValueError,
        "concatenate: need at least one tensor"),
    Bad("concatenate", "shapes (2, 3) and (2, 4) on axis 0",
        lambda: tg.concatenate([tg.ones(2, 3), tg.ones(2, 4)]), ValueError,
        r"concatenate: cannot apply to shapes \(2, 3\), \(2, 4\)"),
    Bad("stack", "shapes (2,) and (3,)", lambda: tg.stack([tg.ones(2), tg.ones(3)]), ValueError,
        "stack: all tensors must have the same shape"),
    Bad("broadcast_to", "(3,) to (2, 4)", lambda: tg.ones(3).broadcast_to((2, 4)), ValueError,
        r"broadcast_to: cannot broadcast shape \(3,\) to \(2, 4\)"),
    Bad("pad", "a negative width", lambda: tg.ones(3).pad(((-1, 1),)), ValueError,
        "pad: negative pad width"),
    Bad("squeeze", "an axis of size 2", lambda: tg.ones(2, 3).squeeze(0), ValueError,
        r"squeeze: axis 0 of shape \(2, 3\) has size 2, not 1"),
    Bad("clip", "neither lo nor hi", lambda: tg.clip(tg.ones(2)), ValueError,
        "clip: give lo, hi or both"),
    Bad("gelu", "approximate='x'", lambda: tg.gelu(tg.ones(2), approximate="x"), ValueError,
        "gelu: approximate must be 'none' or 'tanh'"),
    Bad("where", "unbroadcastable cond, a, b",
        lambda: tg.where(tg.ones(2) > 0, tg.ones(3), tg.ones(4)), ValueError,
        "where: cond, a, b of shapes"),
    Bad("max / min", "an empty tensor", lambda: tg.zeros(0).max(), ValueError,
        "max of an empty tensor"),
    Bad("mean", "an empty tensor", lambda: tg.zeros(0).mean(), ValueError,
        "mean: no elements to average"),
    Bad("var / std", "ddof >= number of elements", lambda: tg.ones(2).var(ddof=2), ValueError,
        "var: 2 elements with ddof=2 leave no degrees of freedom"),
    Bad("** / power", "int ** negative int", lambda: Tensor([2]) ** Tensor([-1]), ValueError,
        "integers to negative integer powers are not allowed"),
    Bad("+= -= *= /= and t[i] = v", "on a leaf that requires grad",
        lambda: Tensor([1.0], requires_grad=True).__iadd__(1), RuntimeError,
        r"in-place \+= on a tensor that requires grad"),
    Bad("item", "a 2-element tensor", lambda: tg.ones(2).item(), ValueError,
        "item: only a one-element tensor converts to a Python scalar"),
    Bad("bool(t)", "a 2-element tensor", lambda: bool(tg.ones(2)), ValueError,
        r"truth value of a tensor of shape \(2,\) is ambiguous"),
    # ---- autograd ----
    Bad("backward", "a non-scalar output and no grad",
        lambda: (Tensor([1.0, 2.0], requires_grad=True) * 2).backward(), RuntimeError,
        "grad can be implicit only for a scalar output"),
    Bad("backward", "a tensor that does not require grad", lambda: Tensor([1.0]).backward(),
        RuntimeError, "does not require grad"),
    Bad("backward", "grad of shape (3,) for an output of shape (2,)",
        lambda: (Tensor([1.0, 2.0], requires_grad=True) * 2).backward(np.ones(3)), ValueError,
        r"backward: grad has shape \(3,\) but the output has shape \(2,\)"),
    Bad("backward", "a non-numeric grad",
        lambda: (Tensor(1.0, requires_grad=True) * 2).backward("abc"), (TypeError, ValueError),
        "backward"),
    Bad("backward", "a second time without retain_graph", _second_backward, RuntimeError,
        "backward through the graph a second time"),
    Bad("backward", "an input changed in place after use", _modified_after_use, RuntimeError,
        "was modified in place after the op used it"),
    Bad("Function.apply / backward", "backward returns 2 gradients for 1 input",
        lambda: TwoGradients.apply(Tensor([1.0], requires_grad=True)).sum().backward(),
        RuntimeError, "returned 2 gradients for 1 inputs"),
    Bad("register_hook", "a hook returning the wrong shape", _hooked_backward, RuntimeError,
        r"gradient has shape \(3,\) but the tensor has shape \(2,\)"),
    Bad("grad / value_and_grad", "fn returns a non-scalar",
        lambda: tg.grad(lambda x: x * 2)(Tensor([1.0, 2.0])), ValueError,
        "grad: the function must return a scalar"),
    Bad("grad / value_and_grad", "fn returns a float",
        lambda: tg.grad(lambda x: 3.0)(Tensor([1.0])), TypeError,
        "grad: the function must return a Tensor"),
    Bad("grad / value_and_grad", "argnums=3 with one argument",
        lambda: tg.grad(lambda x: x.sum(), argnums=3)(Tensor([1.0, 2.0])), ValueError,
        "argnums"),
    # ---- nn ----
    Bad("nn.Linear", "in_features=0", lambda: nn.Linear(0, 3), ValueError,
        "Linear: in_features must be a positive int, got 0"),
    Bad("nn.Linear", "in_features=2.5", lambda: nn.Linear(2.5, 3), ValueError,
        "Linear: in_features must be a positive int, got 2.5"),
    Bad("nn.Linear (call)", "input of width 5 for in_features=3",
        lambda: nn.Linear(3, 2)(tg.ones(4, 5)), ValueError,
        r"linear: input of shape \(4, 5\) has 5 features but weight \(2, 3\) expects 3"),
    Bad("nn.MLP", "sizes=[3]", lambda: nn.MLP([3]), ValueError,
        r"MLP: sizes needs at least \[in, out\]"),
    Bad("nn.MLP", "activation='bogus'", lambda: nn.MLP([2, 3, 1], activation="bogus"),
        ValueError, "MLP: unknown activation 'bogus'"),
    Bad("nn.MLP (call)", "input of width 3 for sizes[0]=2",
        lambda: nn.MLP([2, 3, 1])(tg.ones(4, 3)), ValueError,
        "has 3 features but weight .* expects 2"),
    Bad("nn.Maxout", "pieces=0", lambda: nn.Maxout(3, 2, pieces=0), ValueError,
        "Maxout: pieces must be a positive int"),
    Bad("nn.Perceptron (call)", "input of width 5 for in_features=3",
        lambda: nn.Perceptron(3)(tg.ones(4, 5)), ValueError,
        r"matmul: shapes \(4, 5\) and \(3,\) are not aligned"),
    Bad("nn.Dropout", "p=1.5", lambda: nn.Dropout(1.5), ValueError,
        r"Dropout: p must be in \[0, 1\]"),
    Bad("nn.Dropout", "p='a'", lambda: nn.Dropout("a"), (TypeError, ValueError), "Dropout"),
    Bad("nn.Parameter", "integer data", lambda: nn.Parameter([1, 2]), TypeError,
        "Parameter: only floating-point data can be trained"),
    Bad("nn.Sequential", "a non-Module", lambda: nn.Sequential(3), TypeError,
        "Sequential: expected a Module, got int"),
    Bad("Module.load_state_dict", "a weight of the wrong shape",
        lambda: nn.Linear(2, 3).load_state_dict(nn.Linear(3, 3).state_dict()), ValueError,
        "shape mismatch for 'weight'"),
    Bad("Module.load_state_dict", "a missing key",
        lambda: nn.Linear(2, 3).load_state_dict({"weight": np.zeros((3, 2))}), ValueError,
        r"missing keys \['bias'\]"),
    Bad("Module.load_state_dict", "a list", lambda: nn.Linear(2, 3).load_state_dict([1]),
        TypeError, "load_state_dict: expected a dict"),
    # ---- losses ----
    Bad("F.mse_loss / l1_loss / ...", "shapes (3,) and (4,)",
        lambda: F.mse_loss(tg.ones(3), tg.ones(4)), ValueError,
        r"mse_loss: input shape \(3,\) and target shape \(4,\) differ"),
    Bad("F.mse_loss / l1_loss / ...", "shapes (3, 1) and (3,)",
        lambda: F.mse_loss(tg.ones(3, 1), tg.ones(3)), ValueError, "reshape one of them"),
    Bad("F.<any loss>", "reduction='avg'",
        lambda: F.mse_loss(tg.ones(3), tg.ones(3), reduction="avg"), ValueError,
        "mse_loss: reduction must be 'mean', 'sum' or 'none'"),
    Bad("F.mse_loss / l1_loss / ...", "an empty batch (reduction='mean')",
        lambda: F.mse_loss(tg.ones(0), tg.ones(0)), ValueError, "mse_loss"),
    Bad("F.cross_entropy / nll_loss", "label 3 with 3 classes",
        lambda: F.cross_entropy(tg.ones(2, 3), [0, 3]), ValueError,
        r"cross_entropy: target 3 is out of range for 3 classes \(valid: 0..2\)"),
    Bad("F.cross_entropy / nll_loss", "label -1",
        lambda: F.cross_entropy(tg.ones(2, 3), [0, -1]), ValueError,
        "target -1 is out of range"),
    Bad("F.cross_entropy / nll_loss", "float labels",
        lambda: F.cross_entropy(tg.ones(2, 3), [0.0, 1.0]), TypeError,
        "cross_entropy: targets must be integer class indices"),
    Bad("F.cross_entropy / nll_loss", "3 labels for 2 samples",
        lambda: F.cross_entropy(tg.ones(2, 3), [0, 1, 2]), ValueError,
        r"expected 2 targets of shape \(2,\)"),
    Bad("F.cross_entropy", "3-D logits", lambda: F.cross_entropy(tg.ones(2, 3, 4), [0, 1]),
        ValueError, r"expected logits of shape \(N, C\) or \(C,\)"),
    Bad("F.cross_entropy", "integer logits", lambda: F.cross_entropy(Tensor([[1, 2]]), [0]),
        TypeError, "logits must be floating point"),
    Bad("F.cross_entropy", "an empty batch (reduction='mean')",
        lambda: F.cross_entropy(tg.ones(0, 3), np.zeros(0, int)), ValueError,
        "cross_entropy: mean over an empty batch"),
    Bad("F.nll_loss", "label 5 with 3 classes", lambda: F.nll_loss(tg.ones(2, 3), [0, 5]),
        ValueError, "nll_loss: target 5 is out of range"),
    Bad("F.binary_cross_entropy", "p = 1.5", lambda: F.binary_cross_entropy(Tensor([1.5]), [1.0]),
        ValueError, r"input must be probabilities in \[0, 1\]"),
    Bad("F.binary_cross_entropy", "p = NaN",
        lambda: F.binary_cross_entropy(Tensor([np.nan]), [1.0]), ValueError,
        r"input must be probabilities in \[0, 1\]"),
    Bad("F.binary_cross_entropy_with_logits", "shapes (1,) and (2,)",
        lambda: F.binary_cross_entropy_with_logits(Tensor([0.5]), Tensor([1.0, 0.0])),
        ValueError, r"binary_cross_entropy_with_logits: input shape \(1,\) and target shape"),
    Bad("F.hinge_loss / perceptron_loss", "labels in {0, 1}",
        lambda: F.hinge_loss(Tensor([0.5, 1.0]), Tensor([0.0, 1.0])), ValueError,
        "hinge_loss: labels must be -1 or \\+1"),
    Bad("F.dropout", "p=2", lambda: F.dropout(tg.ones(2), p=2), ValueError,
        r"dropout: p must be in \[0, 1\]"),
    # ---- optim ----
    Bad("optim.SGD (every optimizer)", "lr=-1", lambda: optim.SGD([p()], lr=-1), ValueError,
        "SGD: invalid lr -1; it must be >= 0"),
    Bad("optim.SGD (every optimizer)", "lr=nan", lambda: optim.SGD([p()], lr=float("nan")),
        ValueError, "SGD: invalid lr nan"),
    Bad("optim.SGD (every optimizer)", "lr='a'", lambda: optim.SGD([p()], lr="a"), ValueError,
        "SGD: invalid lr 'a'"),
    Bad("optim.SGD", "momentum=-0.5", lambda: optim.SGD([p()], lr=0.1, momentum=-0.5),
        ValueError, "SGD: invalid momentum -0.5"),
    Bad("optim.SGD", "nesterov=True without momentum",
        lambda: optim.SGD([p()], lr=0.1, nesterov=True), ValueError,
        "SGD: nesterov=True needs momentum > 0"),
    Bad("optim.<any>", "an empty parameter list", lambda: optim.SGD([], lr=0.1), ValueError,
        "SGD: got an empty parameter list"),
    Bad("optim.<any>", "the model instead of model.parameters()",
        lambda: optim.Adam(nn.Linear(2, 1)), ValueError,
        r"Adam: pass model.parameters\(\), not the model itself"),
    Bad("optim.<any>", "a single tensor", lambda: optim.SGD(p(), lr=0.1), ValueError,
        r"SGD: pass a list of parameters \(\[w\]\)"),
    Bad("optim.<any>", "an int among the parameters", lambda: optim.SGD([1, 2], lr=0.1),
        ValueError, "SGD: parameter 0 is a int, not a Parameter"),
    Bad("optim.<any>", "a tensor that does not require grad",
        lambda: optim.SGD([Tensor([1.0])], lr=0.1), ValueError, "is not a trainable leaf"),
    Bad("optim.Adam / AdamW", "betas=(1.0, 0.9)", lambda: optim.Adam([p()], betas=(1.0, 0.9)),
        ValueError, r"Adam: betas\[0\] must be in \[0, 1\)"),
    Bad("optim.Adam / AdamW", "betas=(0.9,)", lambda: optim.Adam([p()], betas=(0.9,)),
        ValueError, "betas"),
    Bad("optim.Adam / AdamW / RMSprop / Adagrad", "eps=-1",
        lambda: optim.Adam([p()], eps=-1), ValueError, "Adam: invalid eps -1"),
    Bad("optim.RMSprop", "alpha=1.5", lambda: optim.RMSprop([p()], alpha=1.5), ValueError,
        r"RMSprop: alpha must be in \[0, 1\]"),
    Bad("Optimizer.load_state_dict", "an Adam state dict into SGD",
        lambda: optim.SGD([p()], lr=0.1).load_state_dict(optim.Adam([p()]).state_dict()),
        ValueError, "the state dict is from a Adam, not a SGD"),
    Bad("Optimizer.load_state_dict", "state of the wrong shape",
        lambda: _sgd_momentum().load_state_dict({
            **_sgd_momentum().state_dict(), "state": [{"velocity": np.zeros(3)}]}),
        ValueError, r"state 'velocity' of parameter 0 has shape \(3,\)"),
    Bad("lr_scheduler.*", "not an optimizer", lambda: lr_scheduler.StepLR(3, step_size=1),
        TypeError, "StepLR: expected an Optimizer"),
    Bad("lr_scheduler.StepLR", "step_size=0",
        lambda: lr_scheduler.StepLR(optim.SGD([p()], lr=0.1), step_size=0), ValueError,
        "StepLR: step_size must be a positive int"),
    # ---- data ----
    Bad("data.DataLoader", "X with 4 samples, y with 3",
        lambda: DataLoader(np.ones((4, 2)), np.ones(3)), ValueError,
        "DataLoader: X has 4 samples but y has 3"),
    Bad("data.DataLoader", "0 samples", lambda: DataLoader(np.ones((0, 2)), np.ones(0)),
        ValueError, r"DataLoader: the dataset is empty \(0 samples\)"),
    Bad("data.DataLoader", "batch_size=0", lambda: loader(batch_size=0), ValueError,
        "DataLoader: batch_size must be >= 1"),
    Bad("data.DataLoader", "batch_size=2.0", lambda: loader(batch_size=2.0), TypeError,
        "DataLoader: batch_size must be an int"),
    Bad("data.DataLoader", "NaN or inf in X",
        lambda: DataLoader(np.array([[np.nan, 1.0]]), np.ones(1)), ValueError,
        "DataLoader: X contains NaN or infinity"),
    Bad("data.DataLoader", "NaN in float y",
        lambda: DataLoader(np.ones((1, 2)), np.array([np.nan])), ValueError,
        "DataLoader: y contains NaN or infinity"),
    Bad("data.DataLoader", "strings", lambda: DataLoader([["a", "b"]], [1]), TypeError,
        "DataLoader: X must be numeric"),
    Bad("data.DataLoader", "0-d X and y", lambda: DataLoader(np.float64(1.0), np.int64(1)),
        ValueError, "DataLoader: X and y need a sample axis"),
    Bad("data.datasets.*", "n_per_class=-1", lambda: datasets.spiral(-1), ValueError,
        "n_per_class must be >= 1"),
    Bad("data.datasets.logic_gate", "'xand'", lambda: datasets.logic_gate("xand"), ValueError,
        "logic_gate: unknown gate 'xand'"),
    # ---- training ----
    Bad("train.fit", "epochs=0", lambda: fit(epochs=0), ValueError, "fit: epochs must be >= 1"),
    Bad("train.fit", "epochs=1.5", lambda: fit(epochs=1.5), TypeError,
        "fit: epochs must be an int"),
    Bad("train.fit", "a loader with zero batches (drop_last)",
        lambda: fit(data=loader(batch_size=8, drop_last=True)), ValueError,
        "fit: train_loader produced no batches"),
    Bad("train.fit", "metrics=['bogus']", lambda: fit(metrics=["bogus"]), ValueError,
        "fit: unknown metric 'bogus'"),
    Bad("train.fit", "loss_fn returning one loss per sample",
        lambda: fit(loss_fn=lambda p, t: F.mse_loss(p, t, reduction="none")), ValueError,
        "fit: loss_fn must return a scalar"),
    Bad("train.fit", "a NaN loss", lambda: fit(loss_fn=lambda p, t: F.mse_loss(p, t) * np.nan),
        FloatingPointError, "fit: the loss became nan at epoch 1, batch 1"),
    Bad("train.fit", "a model of the wrong input width", lambda: fit(model=nn.Linear(3, 1)),
        ValueError, "has 2 features but weight .* expects 3"),
    Bad("train.evaluate", "an empty loader",
        lambda: train.evaluate(nn.Linear(2, 1), F.mse_loss, []), ValueError,
        "evaluate: the loader produced no batches"),
    # ---- checkpoints ----
    Bad("save", "a Module", lambda: tg.save(nn.Linear(2, 1), "unused.npz"), TypeError,
        r"save model.state_dict\(\), not the model"),
    Bad("save", "an arbitrary object", lambda: tg.save(object(), "unused.npz"), TypeError,
        "save: cannot store a object"),
    Bad("save", "a float dict key", lambda: tg.save({1.5: np.ones(2)}, "unused.npz"), TypeError,
        "save: dict keys must be str or int"),
    Bad("save", "an object array", lambda: tg.save({"a": np.array([object()])}, "unused.npz"),
        TypeError, "which would need pickle"),
    # ---- linear models, viz, testing ----
    Bad("linear.normal_equation / ridge / *.fit", "X with 4 samples, y with 3",
        lambda: linear.normal_equation(np.ones((4, 2)), np.ones(3)), ValueError,
        "normal_equation: X has 4 samples but y has 3"),
    Bad("linear.normal_equation / ridge / *.fit", "NaN in X",
        lambda: linear.normal_equation(np.array([[np.nan, 1.0]]), np.ones(1)), ValueError,
        "normal_equation: X contains NaN or infinity"),
    Bad("linear.ridge / Ridge / Lasso", "lam=-1",
        lambda: linear.ridge(np.ones((4, 2)), np.ones(4), lam=-1), ValueError,
        "ridge: lam must be a finite number >= 0"),
    Bad("linear.Lasso", "alpha='a'", lambda: linear.Lasso(alpha="a"), TypeError,
        "Lasso: alpha must be a number"),
    Bad("linear.*.predict", "before fit",
        lambda: linear.LinearRegression().predict(np.ones((2, 2))), RuntimeError,
        "not fitted yet"),
    Bad("viz.to_dot / draw_graph / render", "a non-Tensor", lambda: viz.to_dot(3), TypeError,
        "to_dot: expected a Tensor, got int"),
    Bad("debug.lr_find", "start_lr >= end_lr",
        lambda: debug.lr_find(nn.Linear(2, 1), F.mse_loss, loader(), start_lr=1.0, end_lr=0.1),
        ValueError, "lr_find: need 0 < start_lr < end_lr"),
    Bad("debug.explain_backward", "a model that is not an MLP/Sequential",
        lambda: debug.explain_backward(nn.Perceptron(2), tg.ones(1, 2), tg.ones(1), F.mse_loss),
        TypeError, "explain_backward: expected an nn.MLP or nn.Sequential"),
    Bad("debug.explain_backward", "a model with active Dropout",
        lambda: debug.explain_backward(
            nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)), tg.ones(1, 2), tg.ones(1, 2),
            F.mse_loss),
        ValueError, "explain_backward: Dropout is active"),
    Bad("debug.check_model_gradients", "a model without parameters",
        lambda: debug.check_model_gradients(nn.Sequential(nn.ReLU()), F.mse_loss, tg.ones(1, 2),
                                            tg.ones(1, 2)),
        ValueError, "check_model_gradients: the model has no parameters"),
    Bad("testing.gradcheck", "fn returning a float",
        lambda: gradcheck(lambda x: 3.0, [Tensor([1.0])]), TypeError,
        "gradcheck: .* must return a Tensor"),
]

# files given to load (they need a directory: built in the test)
BAD_FILES: list[tuple[str, Callable[[Any], Any], type[BaseException], str]] = [
    ("a missing file", lambda tmp: tg.load(tmp / "missing.npz"), FileNotFoundError,
     "No such file"),
    ("random bytes", lambda tmp: _load_bytes(tmp, "junk.npz", b"\x00junk" * 10), ValueError,
     "is not a tinygrad_edu checkpoint"),
    ("a pickle", lambda tmp: _load_bytes(tmp, "p.npz", b"\x80\x04N."), ValueError,
     "looks like a pickle, which is never loaded"),
    ("a truncated checkpoint", _truncated, ValueError, "truncated or corrupt"),
    ("an .npz without the manifest", _plain_npz, ValueError, "no '__tinygrad_edu__' manifest"),
]


def _message(error: BaseException) -> str:
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: f"{b.entry}: {b.given}")
def test_bad_input_raises_a_clear_error(bad: Bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # save() rows must never write a file where the tests run
    with pytest.raises(bad.raises) as error, np.errstate(all="ignore"):
        bad.call()
    assert re.search(bad.says, _message(error.value)), (
        f"{bad.entry} with {bad.given}: {type(error.value).__name__}: {error.value}"
    )
    assert not list(tmp_path.iterdir()), "a failed call left a file behind"


@pytest.mark.parametrize("given, call, raises, says", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_raises_a_clear_error(given, call, raises, says, tmp_path):
    with pytest.raises(raises, match=says):
        call(tmp_path)


def markdown_table() -> str:
    """The README's Errors table, from the rows above."""

    def kind(raises) -> str:
        types = raises if isinstance(raises, tuple) else (raises,)
        return " or ".join(f"`{t.__name__}`" for t in types)

    def fragment(says: str) -> str:
        text = re.sub(r"\\(.)", r"\1", says).replace(".*", "…").replace("|", "/")
        return f"`{text}`"

    lines = ["| entry point | bad input | raises: message contains |", "|---|---|---|"]
    for bad in BAD_INPUTS:
        lines.append(f"| `{bad.entry}` | {bad.given} | {kind(bad.raises)}: {fragment(bad.says)} |")
    for given, _, raises, says in BAD_FILES:
        lines.append(f"| `load` | {given} | {kind(raises)}: {fragment(says)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
