"""Linear models: closed forms vs optimality conditions, GD vs the closed forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.data import datasets
from tinygrad_edu.linear import (
    Lasso,
    LinearRegression,
    Ridge,
    normal_equation,
    ridge,
    soft_threshold,
)


def _data(
    seed: int, n: int = 80, d: int = 4, n_irrelevant: int = 0, noise: float = 0.3
):
    X, y = datasets.linear_regression(
        n=n,
        n_features=d,
        n_irrelevant=n_irrelevant,
        noise=noise,
        intercept=2.0,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    X = X.astype(np.float64) * rng.uniform(0.5, 2.0, X.shape[1]) + rng.normal(
        0, 3, X.shape[1]
    )
    return X, y.astype(np.float64)


# ---- closed forms --------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_normal_equation_equals_least_squares_with_a_column_of_ones(seed):
    X, y = _data(seed)
    coef, intercept = normal_equation(X, y)
    augmented = np.column_stack([X, np.ones(len(X))])  # the lecture's offset w_0
    expected = np.linalg.lstsq(augmented, y, rcond=None)[0]
    np.testing.assert_allclose(coef, expected[:-1], atol=1e-9)
    assert intercept == pytest.approx(expected[-1], abs=1e-9)
    # the normal equation XᵀX w = Xᵀy holds
    np.testing.assert_allclose(
        augmented.T @ augmented @ expected, augmented.T @ y, atol=1e-7
    )
    coef0, intercept0 = normal_equation(X, y, fit_intercept=False)
    np.testing.assert_allclose(coef0, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-9)
    assert intercept0 == 0.0


def test_normal_equation_recovers_noiseless_coefficients():
    X, y, w = datasets.linear_regression(
        n=30, n_features=3, noise=0.0, intercept=-1.5, seed=0, return_coef=True
    )
    coef, intercept = normal_equation(X, y)
    np.testing.assert_allclose(coef, w, atol=1e-5)
    assert intercept == pytest.approx(-1.5, abs=1e-5)


def test_normal_equation_singular_gives_minimum_norm_solution():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(20)
    X = np.column_stack([x, x])  # XᵀX is singular: w1 + w2 is all the data determines
    y = 3.0 * x + 1.0
    coef, intercept = normal_equation(X, y)
    np.testing.assert_allclose(
        coef, [1.5, 1.5], atol=1e-9
    )  # the smallest ‖w‖ with w1 + w2 = 3
    assert intercept == pytest.approx(1.0)
    # more features than samples: still a (minimum-norm) exact fit, no error
    X = rng.standard_normal((3, 6))
    coef, intercept = normal_equation(X, np.arange(3.0))
    np.testing.assert_allclose(X @ coef + intercept, np.arange(3.0), atol=1e-9)


@given(
    seed=st.integers(0, 10_000), lam=st.floats(1e-3, 1e3), fit_intercept=st.booleans()
)
def test_ridge_closed_form_is_a_stationary_point(seed, lam, fit_intercept):
    X, y = _data(seed, n=15, d=3)
    coef, intercept = ridge(X, y, lam, fit_intercept=fit_intercept)
    residual = y - X @ coef - intercept
    # ∂/∂w ‖y − Xw − b‖² + λ‖w‖² = −2Xᵀr + 2λw = 0, and ∂/∂b = −2Σr = 0 (if fitted)
    grad = -2 * X.T @ residual + 2 * lam * coef
    scale = np.abs(2 * X.T @ y).max() + 1
    np.testing.assert_allclose(grad / scale, 0, atol=1e-9)
    if fit_intercept:
        assert abs(residual.sum()) < 1e-8 * (np.abs(y).sum() + 1)
    else:
        assert intercept == 0.0


def test_ridge_limits_and_unpenalised_intercept():
    X, y = _data(0)
    np.testing.assert_allclose(ridge(X, y, 0.0)[0], normal_equation(X, y)[0])
    assert np.abs(ridge(X, y, 1e9)[0]).max() < 1e-4  # huge λ: w → 0
    c1, b1 = ridge(X, y, 10.0)
    c2, b2 = ridge(X, y + 100.0, 10.0)  # shifting y moves only the intercept
    np.testing.assert_allclose(c1, c2, atol=1e-9)
    assert b2 == pytest.approx(b1 + 100.0)


def test_soft_threshold():
    np.testing.assert_array_equal(
        soft_threshold([-3.0, -1.0, 0.0, 0.5, 2.0], 1.0), [-2.0, 0.0, 0.0, 0.0, 1.0]
    )


# ---- gradient-descent estimators -----------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradient_descent_converges_to_the_normal_equation(seed, fit_intercept):
    X, y = _data(seed)
    model = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    coef, intercept = normal_equation(X, y, fit_intercept=fit_intercept)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-3)
    assert model.intercept_ == pytest.approx(intercept, abs=1e-3)
    np.testing.assert_allclose(model.predict(X), X @ coef + intercept, atol=1e-3)
    assert model.n_iter_ < model.max_iter
    # a step of 1/L never increases the objective
    assert np.all(np.diff(model.loss_history_) <= 1e-12 * model.loss_history_[0])


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("alpha", [0.1, 10.0, 500.0])
def test_ridge_gradient_descent_converges_to_the_closed_form(seed, alpha):
    X, y = _data(seed)
    model = Ridge(alpha=alpha).fit(X, y)
    coef, intercept = ridge(X, y, lam=alpha)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-3)
    assert model.intercept_ == pytest.approx(intercept, abs=1e-3)


@pytest.mark.parametrize("seed", range(3))
def test_lasso_satisfies_the_subgradient_conditions_and_drops_irrelevant_features(seed):
    X, y = _data(seed, n=200, d=3, n_irrelevant=4, noise=0.5)
    alpha = (
        0.3  # well above the noise's correlation with the irrelevant columns (~0.05)
    )
    model = Lasso(alpha=alpha, tol=1e-9).fit(X, y)
    w, b = model.coef_, model.intercept_
    # 0 ∈ ∂C, with g = (1/n) Xᵀ(y − Xw − b):
    #   g_j = α sign(w_j) if w_j ≠ 0,  |g_j| <= α if w_j = 0
    g = X.T @ (y - X @ w - b) / len(y)
    active = w != 0
    np.testing.assert_allclose(g[active], alpha * np.sign(w[active]), atol=1e-5)
    assert np.all(np.abs(g[~active]) <= alpha + 1e-5)
    assert (
        abs(np.mean(y - X @ w - b)) < 1e-9
    )  # unpenalised intercept: residuals sum to 0
    assert np.all(w[3:] == 0.0)  # irrelevant features: exactly zero, not just small
    assert np.all(w[:3] != 0.0)  # relevant ones kept (true |w| in [1, 3])


def test_lasso_limits():
    X, y = _data(0)
    assert np.all(Lasso(alpha=1e3).fit(X, y).coef_ == 0.0)  # large α: the empty model
    np.testing.assert_allclose(
        Lasso(alpha=0.0).fit(X, y).coef_, normal_equation(X, y)[0], atol=1e-3
    )


def test_estimators_accept_float32_lists_and_report_r2():
    X, y = _data(1)
    model = LinearRegression().fit(X.astype(np.float32).tolist(), y.astype(np.float32))
    assert model.coef_.dtype == np.float64
    assert model.score(X, y) > 0.95
    assert "alpha=2.0" in repr(Ridge(alpha=2.0))


def test_non_convergence_warns():
    X, y = _data(0)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        model = LinearRegression(max_iter=2).fit(X, y)
    assert model.n_iter_ == 2


def _ill_conditioned(n: int = 200, seed: int = 0):
    """A feature scaled ×10 and one nearly collinear with another (cond ~ 10³)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    X[:, 0] *= 10.0
    X[:, 2] = X[:, 1] + 0.5 * rng.standard_normal(n)
    y = X @ np.array([0.5, 2.0, -1.0]) + 0.1 * rng.standard_normal(n) + 3.0
    return X, y


@pytest.mark.parametrize("Model", [Ridge, Lasso, LinearRegression])
def test_ill_conditioned_data_warns_or_reaches_the_tolerance(Model):
    # The step-size rule used to stop Ridge after ~7400 tiny steps, silently, with
    # coefficients 1e-4 (relative) off the closed form. Now a model either warns or
    # is within tol of the minimiser; given the iterations, it gets there.
    X, y = _ill_conditioned()
    kw = {"alpha": 1.0} if Model is Ridge else {"alpha": 0.01} if Model is Lasso else {}
    with pytest.warns(RuntimeWarning, match="did not converge.*condition number"):
        early = Model(**kw).fit(X, y)
    assert early.n_iter_ == 10_000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = Model(max_iter=30_000, **kw).fit(X, y)
    assert model.n_iter_ < 30_000
    if Model is Lasso:  # the subgradient conditions, to the tolerance
        g = (X - X.mean(0)).T @ (y - model.predict(X)) / len(X)
        w = model.coef_
        on = w != 0
        np.testing.assert_allclose(g[on], 0.01 * np.sign(w[on]), atol=1e-8)
        assert np.all(np.abs(g[~on]) <= 0.01 + 1e-8)
        return
    coef, intercept = ridge(X, y, 1.0) if Model is Ridge else normal_equation(X, y)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-6)
    # the iterate that stopped early was measurably off: the warning was due
    assert np.max(np.abs(early.coef_ - coef)) > 1e-6 * np.max(np.abs(coef))


# ---- bad input -----------------------------------------------------------------------

BAD = [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), np.zeros(2), ValueError, "X contains NaN"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), np.zeros(2), ValueError, "X contains NaN"),
    (np.eye(2), np.array([0.0, np.nan]), ValueError, "y contains NaN"),
    (np.arange(3.0), np.zeros(3), ValueError, "2-D.*reshape"),
    (np.zeros((2, 2, 2)), np.zeros(2), ValueError, "2-D"),
    (np.eye(2), np.zeros((2, 1)), ValueError, "1-D"),
    (np.eye(3), np.zeros(2), ValueError, "3 samples but y has 2"),
    (np.zeros((0, 2)), np.zeros(0), ValueError, "empty"),
]


@pytest.mark.parametrize("X, y, error, match", BAD)
@pytest.mark.parametrize(
    "solve",
    [
        normal_equation,
        lambda X, y: ridge(X, y, 1.0),
        lambda X, y: LinearRegression().fit(X, y),
        lambda X, y: Ridge().fit(X, y),
        lambda X, y: Lasso().fit(X, y),
    ],
)
def test_bad_input_raises(solve, X, y, error, match):
    with pytest.raises(error, match=match):
        solve(X, y)


@pytest.mark.parametrize("cls", [LinearRegression, Ridge, Lasso])
def test_predict_checks(cls):
    with pytest.raises(RuntimeError, match="not fitted"):
        cls().predict(np.eye(2))
    model = cls().fit(np.eye(3), np.arange(3.0))
    with pytest.raises(ValueError, match="fitted with 3"):
        model.predict(np.eye(2))
    with pytest.raises(ValueError, match="NaN"):
        model.predict(np.full((1, 3), np.nan))


def test_bad_hyper_parameters():
    with pytest.raises(ValueError, match="alpha must be"):
        Ridge(alpha=-1.0)
    with pytest.raises(ValueError, match="alpha must be"):
        Lasso(alpha=float("nan"))
    with pytest.raises(ValueError, match="lam must be"):
        ridge(np.eye(2), np.zeros(2), lam=-0.5)
    with pytest.raises(ValueError, match="lr must be"):
        LinearRegression(lr=0.0)
    with pytest.raises(ValueError, match="max_iter"):
        Lasso(max_iter=0)
