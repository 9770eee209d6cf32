"""Each optimizer's trajectory over 25+ steps against a NumPy re-implementation of
its published update equations (float64), plus hyper-parameter errors.

The references below are written from the papers / the pseudo-code in the
torch.optim documentation, out of place and without sharing code with the
library. The gradient at each step depends on the current parameters (so an early
mistake changes everything after it) plus fixed noise.
"""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim

STEPS = 30
SHAPES = [(3, 2), (4,), ()]


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    noise = [[rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]

    def grad_fn(t, thetas):  # ∇ of Σ (θ⁴/4 − θ²) + noise: non-linear in θ
        return [theta**3 - 2 * theta + 0.5 * n for theta, n in zip(thetas, noise[t])]

    return init, grad_fn


def _run_library(make_opt, skip=None):
    """Parameters after each step with the library's optimizer. ``skip(t, i)``:
    parameter i gets no gradient at step t."""
    init, grad_fn = _problem()
    params = [nn.Parameter(x.copy()) for x in init]
    opt = make_opt(params)
    trajectory = []
    for t in range(STEPS):
        grads = grad_fn(t, [p.data for p in params])
        for i, (p, g) in enumerate(zip(params, grads)):
            p.grad = None if skip and skip(t, i) else tg.Tensor(g)
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory


def _run_reference(update, skip=None):
    """The same with a reference ``update(theta, g, state, t_global)``."""
    init, grad_fn = _problem()
    thetas = [x.copy() for x in init]
    states = [{} for _ in thetas]
    trajectory = []
    for t in range(STEPS):
        grads = grad_fn(t, thetas)
        for i in range(len(thetas)):
            if not (skip and skip(t, i)):
                thetas[i] = update(thetas[i], grads[i], states[i], t)
        trajectory.append([x.copy() for x in thetas])
    return trajectory


def _assert_same(ours, reference):
    for step, (a, b) in enumerate(zip(ours, reference)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12, err_msg=f"step {step}")


# ---- references ----------------------------------------------------------------------------


def torch_sgd(lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    """torch.optim.SGD's documented algorithm (dampening 0)."""

    def update(theta, g, state, t):
        g = g + weight_decay * theta
        if momentum:
            b = g if "b" not in state else momentum * state["b"] + g
            state["b"] = b
            g = g + momentum * b if nesterov else b
        return theta - lr * g

    return update


def keras_sgd(lr, momentum=0.0, nesterov=False, decay=0.0, weight_decay=0.0):
    """Classic Keras SGD (the contract's velocity form) with time-based decay."""

    def update(theta, g, state, t):
        lr_t = lr * (1.0 / (1.0 + decay * t))
        g = g + weight_decay * theta
        v = momentum * state.get("v", 0.0) - lr_t * g
        state["v"] = v
        return theta + momentum * v - lr_t * g if nesterov else theta + v

    return update


def adam_reference(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """Kingma & Ba's Algorithm 1; AdamW per Loshchilov & Hutter (as torch)."""
    b1, b2 = betas

    def update(theta, g, state, t):
        k = state["k"] = state.get("k", 0) + 1
        if decoupled:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
        m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
        v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g**2
        m_hat = m / (1 - b1**k)
        v_hat = v / (1 - b2**k)
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps)

    return update


def rmsprop_reference(
    lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0, centered=False
):
    def update(theta, g, state, t):
        g = g + weight_decay * theta
        v = state["v"] = alpha * state.get("v", 0.0) + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = state["g"] = alpha * state.get("g", 0.0) + (1 - alpha) * g
            v_tilde = v - g_ave**2
        if momentum > 0:
            b = state["b"] = momentum * state.get("b", 0.0) + g / (np.sqrt(v_tilde) + eps)
            return theta - lr * b
        return theta - lr * g / (np.sqrt(v_tilde) + eps)

    return update


def adagrad_reference(lr=1e-2, eps=1e-10, lr_decay=0.0, weight_decay=0.0, initial=0.0):
    def update(theta, g, state, t):
        k = state["k"] = state.get("k", 0) + 1
        lr_k = lr / (1 + (k - 1) * lr_decay)
        g = g + weight_decay * theta
        s = state["s"] = state.get("s", initial) + g**2
        return theta - lr_k * g / (np.sqrt(s) + eps)

    return update


# ---- SGD ---------------------------------------------------------------------------------------

SGD_CONSTANT_LR = [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.03, momentum=0.5, weight_decay=0.1),
    dict(lr=0.03, momentum=0.8, nesterov=True, weight_decay=0.01),
]


@pytest.mark.parametrize("kw", SGD_CONSTANT_LR, ids=str)
def test_sgd_equals_torch_at_constant_lr(kw):
    _assert_same(_run_library(lambda p: optim.SGD(p, **kw)), _run_reference(torch_sgd(**kw)))


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.05, decay=0.1),
        dict(lr=0.05, momentum=0.9, decay=0.05),
        dict(lr=0.05, momentum=0.9, nesterov=True, decay=0.05),
        dict(lr=0.05, momentum=0.7, nesterov=True, decay=0.2, weight_decay=0.05),
        dict(lr=0.1, momentum=0.0, nesterov=False, decay=1e-6),  # the lecture's setting
    ],
    ids=str,
)
def test_sgd_with_decay_follows_the_velocity_form(kw):
    _assert_same(_run_library(lambda p: optim.SGD(p, **kw)), _run_reference(keras_sgd(**kw)))


def test_sgd_velocity_form_differs_from_torch_buffer_under_decay():
    """Documented difference: with decay, past gradients keep the lr they arrived with."""
    ours = _run_library(lambda p: optim.SGD(p, lr=0.05, momentum=0.9, decay=0.1))

    def torch_with_decayed_lr(theta, g, state, t):
        b = g if "b" not in state else 0.9 * state["b"] + g
        state["b"] = b
        return theta - 0.05 / (1 + 0.1 * t) * b

    theirs = _run_reference(torch_with_decayed_lr)
    assert not np.allclose(ours[-1][0], theirs[-1][0])


def test_sgd_current_lr_and_lr_setter():
    opt = optim.SGD([nn.Parameter([1.0])], lr=0.1, decay=0.5)
    assert opt.current_lr == 0.1
    for _ in range(2):
        opt.step()  # no gradient: nothing moves, but time passes
    assert opt.current_lr == pytest.approx(0.1 / 2)
    opt.lr = 1.0
    assert opt.lr == 1.0 and opt.current_lr == pytest.approx(0.5)


# ---- adaptive methods ----------------------------------------------------------------------------


def _skip_some(t, i):
    return i == 1 and t % 3 == 1  # parameter 1 has no gradient every third step


ADAPTIVE = [
    ("Adam", dict(lr=0.01), adam_reference(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
     adam_reference(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01), adam_reference(lr=0.01, weight_decay=1e-2, decoupled=True)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3),
     adam_reference(lr=0.05, weight_decay=0.3, decoupled=True)),
    ("RMSprop", dict(), rmsprop_reference()),
    ("RMSprop", dict(lr=0.005, alpha=0.9, momentum=0.8),
     rmsprop_reference(lr=0.005, alpha=0.9, momentum=0.8)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, weight_decay=0.1, centered=True),
     rmsprop_reference(lr=0.005, momentum=0.5, weight_decay=0.1, centered=True)),
    ("Adagrad", dict(lr=0.1), adagrad_reference(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5),
     adagrad_reference(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial=0.5)),
]


@pytest.mark.parametrize(
    "name, kw, reference", ADAPTIVE, ids=lambda v: str(v) if not callable(v) else ""
)
@pytest.mark.parametrize("skip", [None, _skip_some], ids=["all-grads", "some-missing"])
def test_adaptive_optimizers_match_their_published_equations(name, kw, reference, skip):
    ours = _run_library(lambda p: getattr(optim, name)(p, **kw), skip)
    _assert_same(ours, _run_reference(reference, skip))


# ---- end to end: autograd gradients, float32, no graph ----------------------------------------


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizers_train_a_float32_model_in_place(name):
    tg.manual_seed(0)
    model = nn.MLP([3, 8, 2])
    X = tg.randn(32, 3)
    y = (X.data[:, 0] > 0).astype(np.int64)
    opt = getattr(optim, name)(model.parameters(), lr=0.05)
    arrays = [p.data for p in model.parameters()]
    first = None
    for _ in range(40):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.7 * first
    for p, a in zip(model.parameters(), arrays):
        assert p.data is a and p.dtype == np.float32 and p.grad_fn is None
    for state in opt.state:
        assert all(v.dtype == np.float32 for v in state.values() if isinstance(v, np.ndarray))


def test_state_arrays_are_reused_between_steps():
    p = nn.Parameter(np.ones(5, dtype=np.float32))
    opt = optim.Adam([p], lr=0.1)
    p.grad = tg.ones(5)
    opt.step()
    m = opt.state[0]["exp_avg"]
    opt.step()
    assert opt.state[0]["exp_avg"] is m


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.SGD(p, lr=0.1),
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
        lambda p: optim.Adam(p, weight_decay=0.1),
        lambda p: optim.AdamW(p),
        lambda p: optim.RMSprop(p, momentum=0.9, centered=True, weight_decay=0.1),
        lambda p: optim.Adagrad(p, weight_decay=0.1),
    ],
)
def test_step_allocates_no_parameter_sized_arrays(make):
    import tracemalloc

    params = [
        nn.Parameter(np.ones(100_000, dtype=np.float32)),
        nn.Parameter(np.ones(10, dtype=np.float32)),
    ]
    for p in params:
        p.grad = tg.full(p.shape, 0.5)
    opt = make(params)
    opt.step()  # the first step creates the state and the work arrays
    tracemalloc.start()
    try:
        opt.step()
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params[0].data.nbytes // 10


def test_step_after_forward_makes_the_old_graph_refuse_backward():
    p = nn.Parameter([2.0])
    opt = optim.SGD([p], lr=0.1)
    loss = (p * p).sum()
    p.grad = tg.Tensor([1.0])
    opt.step()  # p changed in place after the graph used it
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_step_does_not_touch_the_gradient():
    p = nn.Parameter([1.0, 2.0])
    p.grad = tg.Tensor([0.5, 0.5])
    optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5).step()
    assert p.grad.tolist() == [0.5, 0.5]


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.SGD(p, lr=-0.1), "lr"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "momentum"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov"),
        (lambda p: optim.SGD(p, lr=0.1, decay=-1), "decay"),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda p: optim.Adam(p, lr=-1), "lr"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "betas"),
        (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "betas"),
        (lambda p: optim.Adam(p, eps=-1), "eps"),
        (lambda p: optim.RMSprop(p, momentum=-1), "momentum"),
        (lambda p: optim.RMSprop(p, alpha=1.5), "alpha"),
        (lambda p: optim.Adagrad(p, lr=-1), "lr"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay"),
        (lambda p: optim.SGD(p, lr=float("nan")), "lr"),
    ],
)
def test_bad_hyper_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make([nn.Parameter([1.0])])


@pytest.mark.parametrize(
    "make_params, match",
    [
        (lambda: [], "empty"),
        (lambda: iter([]), "empty"),
        (lambda: [np.ones(3)], "not a Parameter"),
        (lambda: [1.0], "not a Parameter"),
        (lambda: [tg.Tensor([1.0])], "does not require grad"),
        (lambda: [tg.Tensor([1.0], requires_grad=True) * 2], "computed by an op"),
        (lambda: nn.Linear(2, 2), "model.parameters()"),
        (lambda: nn.Parameter([1.0]), "list"),
        (lambda: None, "iterable"),
    ],
)
def test_bad_parameter_lists(make_params, match):
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]:
        with pytest.raises(ValueError, match=match):
            getattr(optim, name)(make_params(), lr=0.1)


def test_repeated_parameters_are_updated_once():
    p = nn.Parameter([1.0])
    opt = optim.SGD([p, p], lr=0.5)
    assert len(opt.params) == 1
    p.grad = tg.Tensor([1.0])
    opt.step()
    assert p.tolist() == [0.5]


def test_a_plain_leaf_tensor_that_requires_grad_is_accepted():
    w = tg.Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    assert w.tolist() == [0.0]


def test_abstract_update():
    class Nothing(optim.Optimizer):
        pass

    p = nn.Parameter([1.0])
    p.grad = tg.Tensor([1.0])
    with pytest.raises(NotImplementedError, match="abstract"):
        Nothing([p], lr=0.1).step()
    assert math.isclose(Nothing([p], lr=0.1).current_lr, 0.1)
