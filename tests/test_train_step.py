"""train_step: the one training step that fit, the demo, linear models, lr_find,
overfit_one_batch and diagnose all use (issue 19.3)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import debug, nn, optim
from tinygrad_edu.data import DataLoader
from tinygrad_edu.nn import functional as F
from tinygrad_edu.train import NonFiniteLossError, fit, train_step


class _Recorder:
    """An SGD whose zero_grad/step and the model's forward append to one log."""

    def __init__(self, model, log, lr=0.01):
        self.inner, self.log = optim.SGD(model.parameters(), lr=lr), log

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = value

    def zero_grad(self):
        self.log.append("zero_grad")
        self.inner.zero_grad()

    def step(self):
        self.log.append("step")
        self.inner.step()

    def state_dict(self):
        return self.inner.state_dict()

    def load_state_dict(self, state):
        self.inner.load_state_dict(state)


class _Logged(nn.Module):
    def __init__(self, log):
        super().__init__()
        self.inner, self.log = nn.Linear(2, 1), log

    def forward(self, x):
        self.log.append("forward")
        return self.inner(x)


def _data(n=16):
    X = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32)
    return X, X @ np.array([[1.0], [-2.0]], dtype=np.float32)


def _steps_of(log):
    """The training steps in a log: every zero_grad starts one."""
    steps, current = [], None
    for event in log:
        if event == "zero_grad":
            current = []
            steps.append(current)
        elif current is not None:
            current.append(event)
    return steps


def _assert_lecture_order(log):
    steps = _steps_of(log)
    assert steps, log
    for events in steps:
        assert events[:1] == ["forward"] and events.count("step") <= 1
        if "step" in events:
            assert events.index("step") > 0


def test_train_step_returns_the_loss_before_the_update_and_applies_it():
    w = nn.Parameter([[1.0], [2.0]])
    opt = optim.SGD([w], lr=0.1)
    x, y = np.array([[1.0, 1.0]]), np.array([[0.0]])
    loss = train_step(lambda t: t @ w, F.mse_loss, opt, x, y)
    assert loss == pytest.approx(9.0)  # (1 + 2 − 0)²
    # ∂C/∂w = 2·(x·w − y)·x = [6, 6]; w ← w − 0.1·[6, 6]
    np.testing.assert_allclose(w.data.ravel(), [0.4, 1.4])
    np.testing.assert_allclose(w.grad.data.ravel(), [6.0, 6.0])  # still readable


def test_train_step_clears_stray_gradients_first():
    w = nn.Parameter([1.0])
    opt = optim.SGD([w], lr=0.5)
    (w * 100.0).sum().backward()  # a stray gradient, e.g. from a user's inspection
    train_step(lambda t: t * w, F.mse_loss, opt, [1.0], [0.0])
    assert w.grad.item() == pytest.approx(2.0)  # this batch's only
    assert w.item() == pytest.approx(0.0)


def test_train_step_stops_before_backward_on_a_nan_loss():
    w = nn.Parameter([1.0])
    opt = optim.SGD([w], lr=0.5)
    with pytest.raises(NonFiniteLossError, match="train_step: the loss is nan") as info:
        train_step(
            lambda t: t * w, lambda p, t: F.mse_loss(p, t) * np.nan, opt, [1.0], [0.0]
        )
    assert isinstance(info.value, FloatingPointError) and np.isnan(info.value.loss)
    assert w.item() == 1.0 and w.grad is None


def test_train_step_names_itself_for_a_non_scalar_loss():
    w = nn.Parameter([1.0, 2.0])
    with pytest.raises(ValueError, match="train_step: loss_fn must return a scalar"):
        train_step(
            lambda t: t * w,
            lambda p, t: p - t,
            optim.SGD([w], lr=0.1),
            [1.0, 1.0],
            [0.0, 0.0],
        )


def test_every_training_loop_takes_the_same_step():
    """fit, lr_find, overfit_one_batch and diagnose: zero_grad → forward → step."""
    X, y = _data()
    for run in ("fit", "lr_find", "overfit", "diagnose"):
        log: list[str] = []
        tg.manual_seed(0)
        model = _Logged(log)
        if run == "fit":
            fit(
                model,
                F.mse_loss,
                _Recorder(model, log),
                DataLoader(X, y, batch_size=8),
                2,
                progress=False,
            )
        elif run == "lr_find":
            debug.lr_find(
                model,
                F.mse_loss,
                DataLoader(X, y, batch_size=8),
                _Recorder(model, log),
                num_steps=5,
                progress=False,
            )
        elif run == "overfit":
            debug.overfit_one_batch(
                model, F.mse_loss, _Recorder(model, log), X, y, steps=3
            )
        else:
            debug.diagnose(
                model,
                F.mse_loss,
                lambda p: _Recorder(model, log),
                (X, y),
                epochs=1,
                budget=3,
            )
        _assert_lecture_order(log)
        assert sum(events.count("step") for events in _steps_of(log)) >= 3, run


def test_linear_models_train_by_train_step(monkeypatch):
    from tinygrad_edu import linear

    calls = []
    real = linear.train_step

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(linear, "train_step", counting)
    X = np.array([[0.0], [1.0], [2.0]])
    model = linear.LinearRegression(max_iter=50).fit(X, 2 * X[:, 0] + 1)
    assert len(calls) == model.n_iter_ == len(model.loss_history_)
