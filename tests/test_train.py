"""fit(): the lecture's loop on gates, XOR, regression; History, metrics, NaN stop."""

from __future__ import annotations

import functools
import io
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn, optim
from tinygrad_edu.data import DataLoader, datasets
from tinygrad_edu.nn import functional as F
from tinygrad_edu.train import History, accuracy, evaluate, fit, mse


def _train_perceptron(
    gate: str, seed: int, epochs: int = 100
) -> tuple[nn.Perceptron, History]:
    tg.manual_seed(seed)
    X, y = datasets.logic_gate(gate, signed=True)
    model = nn.Perceptron(2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(X, y, batch_size=1)  # one sample per step: the perceptron rule
    history = fit(
        model,
        F.perceptron_loss,
        opt,
        loader,
        epochs,
        metrics="accuracy",
        progress=False,
    )
    return model, history


# ---- the lecture's story: perceptrons, XOR, MLPs -------------------------------------


@pytest.mark.parametrize("gate", ["and", "or", "nand", "nor"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perceptron_learns_linearly_separable_gates_exactly(gate, seed):
    model, history = _train_perceptron(gate, seed)
    X, y = datasets.logic_gate(gate, signed=True)
    np.testing.assert_array_equal(model.predict(Tensor(X)).numpy(), y)
    assert history.loss[-1] == 0.0  # no mistakes left: the perceptron loss is zero
    assert history.accuracy[-1] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_perceptron_cannot_fit_xor(seed):
    model, history = _train_perceptron("xor", seed, epochs=150)
    X, y = datasets.logic_gate("xor", signed=True)
    correct = int((model.predict(Tensor(X)).numpy() == y).sum())
    # XOR is not linearly separable: w·x + b > 0 on (0,1) and (1,0) adds up to
    # w1 + w2 + 2b > 0, while <= 0 on (0,0) and (1,1) adds up to w1 + w2 + 2b <= 0.
    assert correct <= 3
    assert min(history.loss) > 0.0  # never a mistake-free epoch
    assert max(history.accuracy) <= 0.75


def test_no_line_separates_xor_on_a_grid_of_weights():
    """The same fact without training: no (w1, w2, b) on a fine grid fits XOR."""
    X, y = datasets.logic_gate("xor", signed=True)
    grid = np.linspace(-2, 2, 41)
    w1, w2, b = np.meshgrid(grid, grid, grid, indexing="ij")
    scores = w1[..., None] * X[:, 0] + w2[..., None] * X[:, 1] + b[..., None]
    fits = np.all(np.where(scores > 0, 1, -1) == y, axis=-1)
    assert not fits.any()


def test_mlp_fits_xor():
    tg.manual_seed(0)
    X, y = datasets.logic_gate("xor")
    model = nn.MLP([2, 8, 1], activation="tanh")
    opt = optim.Adam(model.parameters(), lr=0.05)
    loader = DataLoader(X, y.reshape(-1, 1), batch_size=4)
    history = fit(
        model,
        F.binary_cross_entropy_with_logits,
        opt,
        loader,
        epochs=300,
        metrics=["accuracy"],
        progress=False,
    )
    with tg.no_grad():
        logits = model(Tensor(X)).numpy().ravel()
    np.testing.assert_array_equal(logits > 0, y.astype(bool))
    assert history.accuracy[-1] == 1.0
    assert history.loss[-1] < 0.1


# ---- history, validation, metrics ----------------------------------------------------


def _regression_setup(lr: float = 0.1, seed: int = 0):
    tg.manual_seed(seed)
    X, y = datasets.linear_regression(n=200, n_features=3, noise=0.1, seed=seed)
    y = y.reshape(-1, 1)
    model = nn.Linear(3, 1)
    train = DataLoader(X[:150], y[:150], batch_size=16)
    val = DataLoader(X[150:], y[150:], batch_size=64, shuffle=False)
    return model, optim.SGD(model.parameters(), lr=lr), train, val


def test_history_decreases_on_an_easy_problem():
    model, opt, train, val = _regression_setup(lr=0.02)
    h = fit(
        model,
        F.mse_loss,
        opt,
        train,
        epochs=15,
        val_loader=val,
        metrics=("mse",),
        progress=False,
    )
    assert set(h.history) == {"loss", "mse", "val_loss", "val_mse"}
    assert all(len(v) == 15 for v in h.history.values())
    assert h.epoch == list(range(1, 16)) and len(h) == 15
    assert h.loss is h.history["loss"] and h["val_loss"] is h.history["val_loss"]
    assert np.all(np.diff(h.loss[:10]) < 0) and np.all(np.diff(h.val_loss[:10]) < 0)
    assert h.loss[-1] < 0.01 * h.loss[0] and h.val_loss[-1] < 0.01 * h.val_loss[0]
    assert h.val_loss[-1] < 0.02  # down to the noise: its variance is 0.01
    # the "mse" metric of an mse_loss model is the loss itself
    np.testing.assert_allclose(h.mse, h.loss, rtol=1e-4)
    np.testing.assert_allclose(h.val_mse, h.val_loss, rtol=1e-4)


def test_val_loss_matches_evaluate_and_uses_no_grad():
    model, opt, train, val = _regression_setup()
    h = fit(model, F.mse_loss, opt, train, epochs=2, val_loader=val, progress=False)
    assert evaluate(model, F.mse_loss, val)["loss"] == pytest.approx(
        h.val_loss[-1], rel=1e-5
    )
    assert all(p.grad is None or p.grad.shape == p.shape for p in model.parameters())


def test_loss_is_sample_weighted_mean_over_batches():
    # batches of 3 and 1 samples: the epoch loss is the mean over the 4 samples
    X = np.zeros((4, 1))
    y = np.array([[1.0], [1.0], [1.0], [5.0]])
    w = nn.Parameter(np.zeros((1, 1)))

    class Frozen:  # an optimizer that never moves: the loss stays put
        lr = 0.0

        def zero_grad(self):
            w.grad = None

        def step(self):
            pass

    h = fit(
        lambda x: x @ w,
        F.mse_loss,
        Frozen(),
        DataLoader(X, y, batch_size=3, shuffle=False),
        epochs=1,
        progress=False,
    )
    assert h.loss == [pytest.approx((1 + 1 + 1 + 25) / 4)]


def test_custom_metric_callables_and_dict():
    model, opt, train, val = _regression_setup()

    def max_error(pred, target):
        assert isinstance(pred, np.ndarray) and isinstance(target, np.ndarray)
        return float(np.max(np.abs(pred - target)))

    h = fit(
        model,
        F.mse_loss,
        opt,
        train,
        2,
        val_loader=val,
        metrics=[max_error],
        progress=False,
    )
    assert "max_error" in h and "val_max_error" in h
    h = fit(
        model,
        F.mse_loss,
        opt,
        train,
        1,
        metrics={"mae": lambda p, t: float(np.mean(np.abs(p - t)))},
        progress=False,
    )
    assert "mae" in h.history


def test_multiclass_accuracy_with_cross_entropy():
    tg.manual_seed(0)
    X, y = datasets.blobs(n=150, centers=3, cluster_std=0.5, seed=0)
    X = (X - X.mean(0)) / X.std(0)
    model = nn.MLP([2, 16, 3])
    h = fit(
        model,
        F.cross_entropy,
        optim.Adam(model.parameters(), lr=0.05),
        DataLoader(X, y, batch_size=32),
        epochs=10,
        metrics="accuracy",
        progress=False,
    )
    assert h.accuracy[-1] > 0.95


def test_accuracy_metric():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([[0.1, 0.9]]), np.array([[0.0, 1.0]])) == 1.0  # one-hot
    assert (
        accuracy(np.array([[2.0], [-1.0]]), np.array([1.0, 0.0])) == 1.0
    )  # logits, 0/1
    assert accuracy(np.array([2.0, -1.0]), np.array([-1.0, -1.0])) == 0.5  # scores, ±1
    probs = functools.partial(accuracy, threshold=0.5)
    assert probs(np.array([0.7, 0.4]), np.array([1, 0])) == 1.0
    with pytest.raises(ValueError, match="differ in size"):
        accuracy(np.zeros(3), np.zeros(4))
    assert mse(np.array([[1.0], [3.0]]), np.array([1.0, 1.0])) == 2.0


# ---- errors and the NaN stop ---------------------------------------------------------


def test_nan_loss_stops_training_naming_epoch_and_batch():
    X = np.ones((6, 1))
    y = np.ones((6, 1))
    calls = []

    def loss_fn(pred, target):
        calls.append(1)
        loss = F.mse_loss(pred, target)
        return loss * np.nan if len(calls) == 5 else loss  # epoch 3, batch 1

    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(
        FloatingPointError, match=r"epoch 3, batch 1.*lower learning rate"
    ) as info:
        fit(
            model,
            loss_fn,
            opt,
            DataLoader(X, y, batch_size=3),
            epochs=5,
            progress=False,
        )
    assert info.value.history.epoch == [1, 2]  # what was done before the stop


def test_divergence_with_a_huge_learning_rate_stops_with_a_clear_error():
    model, _, train, _ = _regression_setup()
    opt = optim.SGD(model.parameters(), lr=1e6)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(FloatingPointError, match=r"epoch \d+, batch \d+"):
            fit(model, F.mse_loss, opt, train, epochs=50, progress=False)


def test_a_stop_in_the_first_epoch_leaves_empty_records():
    model, _, train, val = _regression_setup()
    opt = optim.SGD(model.parameters(), lr=1e12)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(FloatingPointError, match=r"epoch 1, batch \d+") as info:
            fit(model, F.mse_loss, opt, train, epochs=3, val_loader=val, metrics="mse",
                progress=False)
    history = info.value.history
    assert history.loss == [] and history.val_mse == [] and history.epoch == []


@pytest.mark.parametrize("epochs", [0, -3])
def test_epochs_must_be_positive(epochs):
    model, opt, train, _ = _regression_setup()
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        fit(model, F.mse_loss, opt, train, epochs, progress=False)


def test_other_bad_arguments():
    model, opt, train, _ = _regression_setup()
    with pytest.raises(ValueError, match="unknown metric 'acc'"):
        fit(model, F.mse_loss, opt, train, 1, metrics=["acc"], progress=False)
    with pytest.raises(ValueError, match="scalar"):
        fit(
            model,
            lambda p, t: F.mse_loss(p, t, reduction="none"),
            opt,
            train,
            1,
            progress=False,
        )
    empty = DataLoader(np.zeros((3, 3)), np.zeros((3, 1)), batch_size=4, drop_last=True)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, F.mse_loss, opt, empty, 1, progress=False)


@pytest.mark.parametrize(
    "arg, bad, says",
    [
        ("model", 5, r"fit: model must be callable .*got int"),
        ("loss_fn", 5, r"fit: loss_fn must be callable.*got int"),
        ("loss_fn", None, r"fit: loss_fn must be callable.*got NoneType"),
        ("optimizer", None,
         r"fit: optimizer must have zero_grad\(\) and step\(\).*got NoneType "
         r"without zero_grad\(\) and step\(\)"),
        ("optimizer", "model.parameters()",
         r"fit: optimizer must have zero_grad\(\) and step\(\).*got generator"),
        ("train_loader", None,
         r"fit: train_loader must be an iterable of \(x, y\) batches.*NoneType"),
        ("train_loader", 5,
         r"fit: train_loader must be an iterable of \(x, y\) batches.*got int"),
        ("val_loader", 5,
         r"fit: val_loader must be an iterable of \(x, y\) batches.*got int"),
    ],
)
def test_fit_checks_its_arguments_before_training(arg, bad, says):
    """Each wrong argument is named at once, not met deep in the loop as
    "'NoneType' object is not iterable" or a bare AttributeError; nothing trains."""
    model, opt, train, val = _regression_setup()
    args = dict(
        model=model, loss_fn=F.mse_loss, optimizer=opt, train_loader=train,
        val_loader=val,
    )
    if bad == "model.parameters()":
        bad = model.parameters()
    args[arg] = bad
    before = model.weight.data.copy()
    with pytest.raises(TypeError, match=says):
        fit(epochs=1, progress=False, **args)
    np.testing.assert_array_equal(model.weight.data, before)


def test_evaluate_checks_its_arguments():
    model, _, _, val = _regression_setup()
    with pytest.raises(TypeError, match=r"evaluate: model must be callable"):
        evaluate(5, F.mse_loss, val)
    with pytest.raises(TypeError, match=r"evaluate: loss_fn must be callable"):
        evaluate(model, "mse", val)
    with pytest.raises(TypeError, match=r"evaluate: loader must be an iterable"):
        evaluate(model, F.mse_loss, None)


def test_fit_names_a_batch_that_is_not_an_x_y_pair():
    model, opt, _, _ = _regression_setup()
    X, y = np.ones((4, 3)), np.ones((4, 1))
    triples = [(X, y, np.ones(4))]
    with pytest.raises(
        ValueError, match=r"fit: batch 1 of train_loader has 3 items, not 2"
    ):
        fit(model, F.mse_loss, opt, triples, 1, progress=False)
    with pytest.raises(
        TypeError, match=r"fit: batch 1 of train_loader is a ndarray, not an \(x, y\)"
    ):
        fit(model, F.mse_loss, opt, [X], 1, progress=False)
    with pytest.raises(
        ValueError, match=r"fit: batch 2 of val_loader has 1 items, not 2"
    ):
        fit(model, F.mse_loss, opt, [(X, y)], 1, val_loader=[(X, y), (X,)],
            progress=False)
    with pytest.raises(
        ValueError, match=r"evaluate: batch 1 of the loader has 3 items, not 2"
    ):
        evaluate(model, F.mse_loss, triples)


def test_fit_takes_lists_and_generators_of_pairs():
    model, opt, _, _ = _regression_setup()
    X, y = np.ones((4, 3)), np.ones((4, 1))
    h = fit(model, F.mse_loss, opt, [[X, y]], 2, val_loader=[[X, y]], progress=False)
    assert len(h.loss) == len(h.val_loss) == 2
    h = fit(model, F.mse_loss, opt, ((X, y) for _ in range(3)), 1, progress=False)
    assert len(h.loss) == 1


def test_history_attribute_errors_are_clear():
    h = History()
    h.record("loss", 1.0)
    with pytest.raises(AttributeError, match="no record 'val_loss'.*'loss'"):
        _ = h.val_loss
    assert "loss=1" in repr(h)


# ---- progress bar and plot -----------------------------------------------------------


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_when_not_a_terminal(monkeypatch):
    stream = io.StringIO()  # isatty() is False, as under pytest or in a pipe
    monkeypatch.setattr(sys, "stderr", stream)
    model, opt, train, _ = _regression_setup()
    fit(model, F.mse_loss, opt, train, 2, progress=True)
    assert stream.getvalue() == ""


def test_progress_bar_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    model, opt, train, _ = _regression_setup()
    fit(model, F.mse_loss, opt, train, 2, progress=True)
    assert "epoch 2/2" in terminal.getvalue()
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fit(model, F.mse_loss, opt, train, 1, progress=False)
    assert terminal.getvalue() == ""


def test_plot_writes_a_file(tmp_path):
    pytest.importorskip("matplotlib")
    model, opt, train, val = _regression_setup()
    h = fit(
        model, F.mse_loss, opt, train, 3, val_loader=val, metrics="mse", progress=False
    )
    path = h.plot(tmp_path / "curves.png")
    assert path.exists() and path.stat().st_size > 0


def test_plot_without_matplotlib_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    h = History()
    h.record("loss", 1.0)
    with pytest.raises(ImportError, match=r"pip install tinygrad-edu\[plot\]"):
        h.plot(tmp_path / "x.png")


# ---- Ctrl-C keeps the history (issue 18.10) -------------------------------------------


@pytest.mark.parametrize("where", ["loss", "loader"])
def test_keyboard_interrupt_in_epoch_3_keeps_two_epochs(where):
    model, opt, train, val = _regression_setup()
    batches_per_epoch = len(train)
    calls = []

    def loss_fn(pred, target):
        calls.append(tg.is_grad_enabled())  # False when validating
        if where == "loss" and sum(calls) == 2 * batches_per_epoch + 1:
            raise KeyboardInterrupt  # Ctrl-C in the first batch of epoch 3
        return F.mse_loss(pred, target)

    class InterruptedLoader:
        def __init__(self):
            self.epochs = 0

        def __len__(self):
            return batches_per_epoch

        def __iter__(self):
            self.epochs += 1
            if where == "loader" and self.epochs == 3:
                raise KeyboardInterrupt
            return iter(train)

    with pytest.raises(KeyboardInterrupt) as info:
        fit(model, loss_fn, opt, InterruptedLoader(), 5, val_loader=val,
            metrics="mse", progress=False)
    history = info.value.history
    assert history.epoch == [1, 2] and len(history.loss) == 2
    assert len(history.val_loss) == 2 and len(history.mse) == 2
    assert model.training  # left in training mode, as after a full run
