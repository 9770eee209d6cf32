"""fit's accuracy is the true accuracy for probabilities, scores and classes (issue 13.6)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, datasets
from tinygrad_edu.metrics import accuracy, threshold_for_loss
from tinygrad_edu.nn import functional as F
from tinygrad_edu.train import evaluate, fit

XOR_PROBABILITIES = np.array([[0.006], [0.992], [0.999], [0.007]])  # the net
XOR_LABELS = np.array([[0.0], [1.0], [1.0], [0.0]])


def test_probabilities_with_threshold_half():
    assert accuracy(XOR_PROBABILITIES, XOR_LABELS, threshold=0.5) == 1.0
    # the old rule (score > 0) called every probability positive: 0.5
    assert accuracy(XOR_PROBABILITIES, XOR_LABELS, threshold=0.0) == 0.5


def test_scores_and_logits_with_threshold_zero_by_default():
    logits = np.array([-3.0, 0.4, 2.0, -0.1])
    assert accuracy(logits, [0, 1, 1, 0]) == 1.0
    assert accuracy(logits, [0, 1, 1, 0], threshold=0.5) == 0.75  # 0.4 is a logit


def test_signed_labels_use_the_sign_of_the_score():
    scores = np.array([[1.5], [-0.2], [0.3], [-4.0]])
    assert accuracy(scores, [1, -1, 1, -1]) == 1.0
    assert accuracy(scores, [1, -1, -1, -1]) == 0.75


def test_several_columns_use_argmax():
    pred = np.array([[0.2, 0.7, 0.1], [0.9, 0.05, 0.05], [0.3, 0.3, 0.4]])
    assert accuracy(pred, [1, 0, 0]) == pytest.approx(2 / 3)
    assert accuracy(pred, np.eye(3)[[1, 0, 2]]) == 1.0  # one-hot targets
    with pytest.raises(ValueError, match="accuracy: threshold=0.5 applies to one"):
        accuracy(pred, [1, 0, 0], threshold=0.5)


@pytest.mark.parametrize(
    "loss, expected",
    [
        (F.binary_cross_entropy, 0.5),
        (F.binary_cross_entropy_with_logits, 0.0),
        (F.hinge_loss, 0.0),
        (F.perceptron_loss, 0.0),
        (functools.partial(F.binary_cross_entropy, reduction="mean"), 0.5),
        (F.mse_loss, None),
    ],
)
def test_the_threshold_comes_from_the_loss(loss, expected):
    assert threshold_for_loss(loss) == expected


def test_a_sigmoid_model_with_another_loss_outputs_probabilities():
    sigmoid_net = nn.MLP([2, 4, 1], output_activation="sigmoid")
    assert threshold_for_loss(F.mse_loss, sigmoid_net) == 0.5
    assert threshold_for_loss(F.mse_loss, nn.MLP([2, 4, 1])) is None


def _xor_demo_net(steps=600):
    """The demo's network: 2-4-1, tanh, sigmoid output, binary_cross_entropy."""
    tg.manual_seed(0)
    X, y = datasets.logic_gate("xor")
    model = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid")
    opt = optim.SGD(model.parameters(), lr=1.0)
    loader = DataLoader(X, y.reshape(-1, 1), batch_size=4, shuffle=False)
    history = fit(
        model,
        F.binary_cross_entropy,
        opt,
        loader,
        steps,
        metrics=["accuracy"],
        progress=False,
    )
    return model, X, y, history, loader


def test_fit_reports_the_true_accuracy_of_the_demos_xor_net():
    model, X, y, history, loader = _xor_demo_net()
    with tg.no_grad():
        p = model(tg.Tensor(X)).numpy().ravel()
    assert np.array_equal(p > 0.5, y > 0.5) and np.all((p > 0) & (p < 1))
    true_accuracy = float(np.mean((p > 0.5) == (y > 0.5)))
    assert true_accuracy == 1.0
    assert history.accuracy[-1] == true_accuracy  # was 0.5
    assert (
        evaluate(model, F.binary_cross_entropy, loader, "accuracy")["accuracy"] == 1.0
    )


def test_fit_accuracy_for_logits_hinge_and_classes():
    tg.manual_seed(1)
    X, y = datasets.blobs(n=60, centers=2, cluster_std=0.4, seed=1)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    cases = [
        (F.binary_cross_entropy_with_logits, y.reshape(-1, 1).astype(np.float32), 1),
        (F.hinge_loss, np.where(y > 0, 1.0, -1.0).reshape(-1, 1).astype(np.float32), 1),
        (F.cross_entropy, y.astype(np.int64), 2),
    ]
    for loss, target, outputs in cases:
        model = nn.MLP([2, 8, outputs])
        history = fit(
            model,
            loss,
            optim.Adam(model.parameters(), lr=0.05),
            DataLoader(X, target, batch_size=60, shuffle=False),
            60,
            metrics="accuracy",
            progress=False,
        )
        with tg.no_grad():
            out = model(tg.Tensor(X)).numpy()
        labels = out.argmax(1) if outputs > 1 else (out.ravel() > 0).astype(int)
        truth = float(np.mean(labels == (y > 0)))
        # the epoch's metric is taken before its last step: compare with a fresh one
        again = evaluate(model, loss, [(X, target)], "accuracy")["accuracy"]
        assert again == truth and truth > 0.9, loss
        assert history.accuracy[-1] == pytest.approx(truth, abs=0.05)
