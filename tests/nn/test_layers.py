"""Layers: Linear, MLP (against a hand-written NumPy MLP), Perceptron, Maxout,
Dropout and the activation modules."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.testing import gradcheck

# ---- Linear ----------------------------------------------------------------------------


def test_linear_layout_dtype_and_forward():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    out = layer(tg.Tensor(x))
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)
    assert out.dtype == np.float32


def test_linear_without_bias_and_float64():
    layer = nn.Linear(3, 2, bias=False, dtype=np.float64)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer(tg.ones(1, 3, dtype=np.float64)).dtype == np.float64


def test_linear_follows_the_default_dtype():
    tg.set_default_dtype(np.float64)
    assert nn.Linear(2, 2).weight.dtype == np.float64


def test_linear_init_is_pytorch_default():
    tg.manual_seed(0)
    fan_in = 400
    layer = nn.Linear(fan_in, 300)
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
    w = layer.weight.data
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_linear_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive int"):
        nn.Linear(bad, 2)


def test_linear_names_the_shapes_when_input_does_not_fit():
    with pytest.raises(ValueError, match="features"):
        nn.Linear(3, 2)(tg.ones(4, 5))


# ---- MLP against a hand-written NumPy MLP ------------------------------------------------


def _numpy_mlp_step(weights, biases, x, targets):
    """The lecture's backprop equations by hand: tanh hidden layers, softmax +
    cross-entropy output, mean over the batch."""
    activations, zs = [x], []
    a = x
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w.T + b
        zs.append(z)
        a = np.tanh(z) if i < len(weights) - 1 else z
        activations.append(a)
    logits = activations[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(x)
    loss = -log_probs[np.arange(n), targets].mean()
    one_hot = np.eye(logits.shape[1])[targets]
    delta = (np.exp(log_probs) - one_hot) / n  # δᴸ = a − y for softmax + CE
    grads_w, grads_b, grad_x = [None] * len(weights), [None] * len(weights), None
    for i in reversed(range(len(weights))):
        grads_w[i] = delta.T @ activations[i]  # ∂C/∂w = δ aᵀ
        grads_b[i] = delta.sum(axis=0)  # ∂C/∂b = δ
        back = delta @ weights[i]  # (wᵀ δ)
        if i > 0:
            delta = back * (1 - np.tanh(zs[i - 1]) ** 2)  # ⊙ σ'(z)
        else:
            grad_x = back
    return logits, loss, grads_w, grads_b, grad_x


@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    batch=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_mlp_forward_and_backward_match_numpy(sizes, batch, seed):
    sizes = sizes[:-1] + [max(sizes[-1], 2)]  # at least two classes
    tg.manual_seed(seed)
    model = nn.MLP(sizes, activation="tanh", dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0]))
    targets = rng.integers(0, sizes[-1], batch)
    weights = [layer.weight.data for layer in model.linears]
    biases = [layer.bias.data for layer in model.linears]
    logits, loss, grads_w, grads_b, grad_x = _numpy_mlp_step(weights, biases, x, targets)

    xt = tg.Tensor(x, requires_grad=True)
    out = model(xt)
    ours = F.cross_entropy(out, targets)
    ours.backward()
    np.testing.assert_allclose(out.data, logits, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.item(), loss, rtol=1e-10)
    for layer, gw, gb in zip(model.linears, grads_w, grads_b):
        np.testing.assert_allclose(layer.weight.grad.data, gw, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.bias.grad.data, gb, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(xt.grad.data, grad_x, rtol=1e-9, atol=1e-12)


def test_gradients_of_a_float32_model_are_float32():
    model = nn.MLP([4, 8, 3], activation="relu")
    x = tg.Tensor(np.random.default_rng(0).standard_normal((5, 4)))  # float64 data in
    loss = F.cross_entropy(model(x.astype(np.float32)), np.array([0, 1, 2, 0, 1]))
    loss.backward()
    assert loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    for loss_fn, target in [
        (F.mse_loss, np.zeros((5, 3))),  # float64 targets do not promote
        (F.binary_cross_entropy_with_logits, np.ones((5, 3), dtype=np.int64)),
    ]:
        model.zero_grad()
        loss = loss_fn(model(x.astype(np.float32)), target)
        loss.backward()
        assert loss.dtype == np.float32
        assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_mlp_structure_and_activation_names():
    mlp = nn.MLP([2, 3, 3, 1], activation="leaky_relu", output_activation="sigmoid")
    kinds = [type(m).__name__ for m in mlp.layers]
    assert kinds == ["Linear", "LeakyReLU", "Linear", "LeakyReLU", "Linear", "Sigmoid"]
    assert [n for n, _ in mlp.named_parameters()][:3] == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight"
    ]
    for name in ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "softplus", "identity"]:
        assert nn.MLP([2, 2, 1], activation=name)(tg.ones(1, 2)).shape == (1, 1)


def test_mlp_accepts_modules_and_classes_as_activations():
    act = nn.LeakyReLU(0.1)
    mlp = nn.MLP([2, 3, 1], activation=act, output_activation=nn.Tanh)
    assert mlp.layers[1] is act and isinstance(mlp.layers[3], nn.Tanh)


def test_mlp_unknown_activation_lists_valid_names():
    with pytest.raises(
        ValueError, match="relu, tanh, sigmoid, leaky_relu, elu, gelu, softplus, identity"
    ):
        nn.MLP([2, 2], activation="swish", output_activation="swish")
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP([2])


def test_mlp_learns_xor():
    tg.manual_seed(1)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    model = nn.MLP([2, 8, 2], activation="tanh")
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    assert model(X).argmax(axis=1).tolist() == [0, 1, 1, 0]


# ---- Perceptron ------------------------------------------------------------------------

GATES_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"and": [-1, -1, -1, 1], "or": [-1, 1, 1, 1], "nand": [1, 1, 1, -1], "xor": [-1, 1, 1, -1]}


def test_perceptron_score_shape_and_predict():
    p = nn.Perceptron(3)
    assert p.weight.shape == (3,) and p.bias.shape == ()
    x = tg.randn(5, 3)
    s = p(x)
    assert s.shape == (5,)
    np.testing.assert_allclose(s.data, x.data @ p.weight.data + p.bias.data, rtol=1e-6)
    pred = p.predict(x)
    assert set(pred.tolist()) <= {-1.0, 1.0} and not pred.requires_grad
    np.testing.assert_array_equal(pred.data, np.where(s.data > 0, 1, -1))


@pytest.mark.parametrize("gate", ["and", "or", "nand"])
def test_perceptron_rule_learns_separable_gates(gate):
    tg.manual_seed(0)
    p = nn.Perceptron(2)
    mistakes = p.fit_perceptron_rule(GATES_X, GATES[gate], epochs=100)
    assert mistakes[-1] == 0
    assert p.predict(GATES_X).tolist() == GATES[gate]


def test_perceptron_rule_never_converges_on_xor():
    tg.manual_seed(0)
    mistakes = nn.Perceptron(2).fit_perceptron_rule(GATES_X, GATES["xor"], epochs=50, shuffle=True)
    assert len(mistakes) == 50 and min(mistakes) > 0


def test_perceptron_rule_rejects_01_labels():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        nn.Perceptron(2).fit_perceptron_rule(GATES_X, [0, 0, 0, 1])


def test_sgd_on_perceptron_loss_is_the_perceptron_rule():
    """One sample at a time, lr = 1: w ← w + y·x on mistakes, including s = 0."""
    a, b = nn.Perceptron(2), nn.Perceptron(2)
    for p in (a, b):  # zero init: the first sample sits on the boundary s = 0
        nn.init.zeros_(p.weight)
        nn.init.zeros_(p.bias)
    y = np.array(GATES["and"], dtype=np.float32)
    opt = optim.SGD(b.parameters(), lr=1.0)
    for _ in range(5):
        a.fit_perceptron_rule(GATES_X, y, epochs=1)
        for i in range(4):
            opt.zero_grad()
            F.perceptron_loss(b(GATES_X[i:i + 1]), y[i:i + 1], reduction="sum").backward()
            opt.step()
        np.testing.assert_array_equal(a.weight.data, b.weight.data)
        np.testing.assert_array_equal(a.bias.data, b.bias.data)


# ---- Maxout ----------------------------------------------------------------------------


def test_maxout_is_the_max_of_linear_pieces():
    tg.manual_seed(0)
    layer = nn.Maxout(3, 2, pieces=4)
    assert layer.weight.shape == (4, 2, 3) and layer.bias.shape == (4, 2)
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    pieces = np.einsum("ni,koi->nko", x, layer.weight.data) + layer.bias.data
    np.testing.assert_allclose(layer(tg.Tensor(x)).data, pieces.max(axis=1), rtol=1e-5, atol=1e-6)


def test_maxout_gradient():
    tg.manual_seed(0)
    layer = nn.Maxout(3, 2, pieces=3, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((4, 3))
    assert gradcheck(
        lambda w, b: _maxout_with(layer, w, b, x), [layer.weight.data, layer.bias.data]
    )


def _maxout_with(layer, w, b, x):
    layer.weight, layer.bias = w, b
    return layer(tg.Tensor(x))


# ---- Dropout ---------------------------------------------------------------------------


def test_dropout_is_inverted_and_seeded():
    tg.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = tg.ones(200, 500, requires_grad=True)
    out = drop(x)
    kept = out.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out.data[kept], 1 / 0.75, rtol=1e-6)
    assert abs(out.data.mean() - 1) < 0.02  # expectation unchanged
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)  # gradient = the mask
    tg.manual_seed(0)
    np.testing.assert_array_equal(nn.Dropout(0.25)(tg.ones(200, 500)).data, out.data)


def test_dropout_eval_p0_and_p1():
    x = tg.randn(3, 4)
    assert nn.Dropout(0.5).eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert not nn.Dropout(1.0)(x).data.any()
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


# ---- activation modules ----------------------------------------------------------------


def _erf(x):
    return np.vectorize(math.erf)(x)


ACTIVATION_REFERENCES = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.LeakyReLU(0.1), lambda x: np.maximum(0.1 * x, x)),  # the lecture's
    (nn.ELU(), lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    (nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    (nn.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
    (nn.Identity(), lambda x: x),
    (nn.Step(), lambda x: (x > 0).astype(float)),
]


@pytest.mark.parametrize("module, reference", ACTIVATION_REFERENCES, ids=lambda v: repr(v))
def test_activation_modules_match_their_formula(module, reference):
    x = np.random.default_rng(0).uniform(-3, 3, (4, 5))
    np.testing.assert_allclose(module(tg.Tensor(x)).data, reference(x), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("module", [m for m, _ in ACTIVATION_REFERENCES[:-1]], ids=repr)
def test_activation_modules_are_differentiable(module):
    x = np.random.default_rng(1).uniform(-3, 3, (3, 4))
    x[np.abs(x) < 0.05] = 0.5  # away from the kinks
    assert gradcheck(module, [x])


def test_step_has_zero_gradient():
    x = tg.Tensor([-1.0, 0.5, 2.0], requires_grad=True)
    nn.Step()(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_activation_reprs():
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(negative_slope=0.1)"
    assert repr(nn.Maxout(2, 3)) == "Maxout(in_features=2, out_features=3, pieces=2)  # 18 params"
