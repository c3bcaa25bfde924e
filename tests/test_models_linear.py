"""LinearRegression: closed form against scikit-learn, every solver against the
closed form, L1 sparsity, partial_fit, and the scikit-learn tool chain."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
)

from lingrad.models.linear import LinearRegression
from lingrad.solvers import IllConditionedWarning
from lingrad.training.history import History
from lingrad.training.train import DivergenceError


@pytest.fixture
def data(rng):
    """Well-conditioned: N = 80, D = 4, cond(XᵀX) < 10."""
    X = rng.normal(size=(80, 4))
    y = X @ np.array([1.5, -2.0, 0.5, 3.0]) + 4.0 + 0.2 * rng.normal(size=80)
    return X, y


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_normal_matches_sklearn_to_1e10(data):
    X, y = data
    model = LinearRegression().fit(X, y)
    ref = SkLinearRegression().fit(X, y)
    assert_allclose(model.coef_, ref.coef_, rtol=1e-10)
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-10)
    assert model.solver_info_["rank"] == 4
    assert model.solver_info_["condition_number"] < 10
    assert "Cholesky" in model.solver_info_["method"]  # well-conditioned: BLAS route
    assert not hasattr(model, "history_")


def test_normal_with_sample_weight_matches_sklearn(data, rng):
    X, y = data
    s = rng.uniform(0.1, 5.0, size=len(X))
    model = LinearRegression().fit(X, y, sample_weight=s)
    ref = SkLinearRegression().fit(X, y, sample_weight=s)
    assert_allclose(model.coef_, ref.coef_, rtol=1e-10)
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_l2_normal_matches_ridge(data, rng, weighted):
    """alpha = a / Σ s: ours (1/Σs) Σ s r² + alpha‖w‖², times Σ s, is Ridge(a)."""
    X, y = data
    s = rng.uniform(0.1, 5.0, size=len(X)) if weighted else None
    a = 7.0
    alpha = a / (len(X) if s is None else s.sum())
    model = LinearRegression(penalty="l2", alpha=alpha).fit(X, y, sample_weight=s)
    ref = Ridge(alpha=a, solver="cholesky").fit(X, y, sample_weight=s)
    assert_allclose(model.coef_, ref.coef_, rtol=1e-10)
    assert_allclose(model.intercept_, ref.intercept_, rtol=1e-10)


def test_multi_target(data, rng):
    X, y = data
    Y = np.column_stack([y, -y + rng.normal(size=len(y))])
    model = LinearRegression().fit(X, Y)
    ref = SkLinearRegression().fit(X, Y)
    assert model.coef_.shape == (2, 4) and model.intercept_.shape == (2,)
    assert_allclose(model.coef_, ref.coef_, rtol=1e-10)
    assert model.predict(X).shape == (80, 2)
    lbfgs = LinearRegression(solver="lbfgs", tol=1e-10).fit(X, Y)
    assert_allclose(lbfgs.coef_, ref.coef_, rtol=1e-6)


def test_ill_conditioned_warns_and_reports(data, rng):
    X, y = data
    X = np.column_stack([X, X[:, 0] * 2 + 1e-8 * rng.normal(size=len(X))])
    with pytest.warns(IllConditionedWarning):
        model = LinearRegression().fit(X, y)
    assert model.solver_info_["condition_number"] > 1e10


def test_sample_weight_equivalence_on_rank_deficient_data_is_silent():
    """sklearn's check uses rank-8-of-30 data: exact rank deficiency, no warning."""
    check_sample_weight_equivalence_on_dense_data(
        "LinearRegression", LinearRegression()
    )


@pytest.mark.parametrize(
    ("solver", "params", "atol"),
    [
        ("lbfgs", {"tol": 1e-10}, 1e-6),
        ("batch", {"lr": 0.2, "max_iter": 2000, "tol": 1e-12}, 1e-6),
        ("minibatch", {"lr": 0.05, "schedule": "invscaling", "max_iter": 300}, 0.02),
        ("sgd", {"lr": 0.01, "schedule": "invscaling", "max_iter": 100}, 0.03),
    ],
)
def test_gradient_solvers_converge_to_the_closed_form(data, solver, params, atol):
    X, y = data
    exact = LinearRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of fixed budgets
        model = LinearRegression(solver=solver, random_state=0, **params).fit(X, y)
    assert_allclose(model.coef_, exact.coef_, atol=atol)
    assert_allclose(model.intercept_, exact.intercept_, atol=atol)
    assert isinstance(model.history_, History)
    assert model.loss_curve_[-1] < model.loss_curve_[0] / 10
    assert model.n_iter_ == len(model.loss_curve_) and model.t_ >= model.n_iter_


@pytest.mark.parametrize(
    ("solver", "params"),
    [
        ("lbfgs", {}),
        ("batch", {"lr": 0.1, "max_iter": 1000}),
        ("minibatch", {"lr": 0.01, "max_iter": 100}),
        ("sgd", {"lr": 0.003, "max_iter": 30}),
    ],
)
def test_diabetes_r2_within_001_of_sklearn(diabetes, solver, params):
    X, y = diabetes
    ref = SkLinearRegression().fit(X, y).score(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LinearRegression(solver=solver, random_state=0, **params).fit(X, y)
    assert abs(model.score(X, y) - ref) < 0.01


@pytest.mark.parametrize(
    ("solver", "params"),
    [
        ("lbfgs", {}),
        ("batch", {"lr": 0.1, "max_iter": 500}),
        ("minibatch", {"lr": 0.01, "max_iter": 100}),
        ("sgd", {"lr": 0.003, "max_iter": 40}),
    ],
)
def test_l1_zeroes_irrelevant_features_l2_does_not(rng, solver, params):
    """The textbook's claim: L1 sets irrelevant weights exactly to zero."""
    X = rng.normal(size=(200, 10))
    y = X[:, :3] @ np.array([3.0, -2.0, 1.5]) + 0.5 + 0.5 * rng.normal(size=200)
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for penalty in ("l1", "l2"):
            fits[penalty] = LinearRegression(
                solver=solver, penalty=penalty, alpha=0.2, random_state=0, **params
            ).fit(X, y)
    l1, l2 = fits["l1"].coef_, fits["l2"].coef_
    assert np.all(l1[3:] == 0.0) and np.all(l1[:3] != 0.0)
    assert np.all(l2 != 0.0)
    assert fits["l1"].score(X, y) > 0.9


def test_elasticnet_and_normal_solver_rejects_l1(data):
    X, y = data
    with pytest.raises(ValueError, match="closed form"):
        LinearRegression(penalty="l1").fit(X, y)
    model = LinearRegression(solver="lbfgs", penalty="elasticnet", alpha=0.5,
                             l1_ratio=0.5).fit(X, y)  # fmt: skip
    assert model.score(X, y) > 0.8


def test_partial_fit_continues_the_schedule(data):
    X, y = data
    model = LinearRegression(solver="minibatch", batch_size=16, lr=0.05,
                             schedule="invscaling", random_state=0)  # fmt: skip
    assert not hasattr(LinearRegression(), "partial_fit")  # closed form: no epochs
    for _ in range(3):
        model.partial_fit(X, y)
    lr = model.history_.step_lr
    assert model.t_ == 15 and model.n_iter_ == 3 and len(lr) == 15
    assert np.all(np.diff(lr) < 0)  # one decaying schedule, never restarted
    one_go = LinearRegression(solver="minibatch", batch_size=16, lr=0.05,
                              schedule="invscaling", random_state=0, max_iter=3,
                              tol=None).fit(X, y)  # fmt: skip
    assert_allclose(model.coef_, one_go.coef_)


def test_warm_start_continues(data):
    X, y = data
    params = dict(solver="batch", lr=0.05, max_iter=5, tol=None)
    cold = LinearRegression(**params).fit(X, y)
    warm = LinearRegression(warm_start=True, **params).fit(X, y).fit(X, y)
    ten = LinearRegression(**{**params, "max_iter": 10}).fit(X, y)
    assert_allclose(warm.coef_, ten.coef_)
    assert not np.allclose(cold.coef_, ten.coef_)
    assert warm.t_ == 10
    assert len(warm.history_.epoch_loss) == 10  # one History across both fits


def test_warm_start_takes_new_hyperparameters(data):
    X, y = data
    model = LinearRegression(solver="batch", lr=0.05, max_iter=5, tol=None,
                             warm_start=True).fit(X, y)  # fmt: skip
    model.set_params(lr=0.01).fit(X, y)
    lr = model.history_.step_lr
    assert model.t_ == 10 and np.all(lr[:5] == 0.05) and np.all(lr[5:] == 0.01)


def test_refit_with_another_solver_drops_the_old_record(data):
    """A fit leaves no fitted state of the previous fit's solver behind."""
    X, y = data
    model = LinearRegression(solver="lbfgs").fit(X, y)
    assert isinstance(model.history_, History) and not hasattr(model, "solver_info_")
    model.set_params(solver="normal").fit(X, y)
    assert not hasattr(model, "history_") and not hasattr(model, "loss_curve_")
    assert model.n_iter_ == 1 and model.t_ == 0
    model.set_params(solver="batch", lr=0.1, max_iter=3, tol=None).fit(X, y)
    assert not hasattr(model, "solver_info_")
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3


def test_divergence_propagates(data):
    X, y = data
    with pytest.raises(DivergenceError, match="lr"):
        LinearRegression(solver="batch", lr=10.0, tol=None).fit(X * 100, y)


def test_pipeline_grid_search_and_cross_val(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), LinearRegression(penalty="l2"))
    grid = GridSearchCV(pipe, {"linearregression__alpha": [1e-4, 1e-2, 1.0]}, cv=3)
    grid.fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert scores[2] < min(scores[:2]) - 0.02  # alpha = 1 shrinks w too far
    assert grid.best_params_["linearregression__alpha"] < 1.0
    scores = cross_val_score(LinearRegression(), X, y, cv=3)
    ref = cross_val_score(SkLinearRegression(), X, y, cv=3)
    assert_allclose(scores, ref, rtol=1e-10)


def test_dataframe_keeps_feature_names(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = LinearRegression(solver="lbfgs").fit(df, y)
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert_allclose(model.predict(df), df.to_numpy() @ model.coef_ + model.intercept_)
    # predict on a plain array after fitting on a DataFrame: sklearn's warning
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


def test_float32_kept(data):
    X, y = data
    model = LinearRegression(solver="batch", lr=0.1, max_iter=200).fit(
        X.astype(np.float32), y.astype(np.float32)
    )
    assert model.coef_.dtype == np.float32
    assert model.predict(X.astype(np.float32)).dtype == np.float32


def test_explain_hooks(data):
    X, y = data
    model = LinearRegression().fit(X, y)
    problem = model.training_problem(start="fitted")
    assert_allclose(problem.chain.forward(X)[:, 0], model.predict(X))
    assert problem.loss.name == "squared_error"


# ---- the Huber loss ---------------------------------------------------------


@pytest.fixture
def outliers(rng):
    """y = Xw + 1 + noise, with five gross outliers (where Huber differs)."""
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 1.0 + 0.3 * rng.normal(size=60)
    y[:5] += 25.0
    return X, y


def _huber(r, eps):
    a = np.abs(r)
    return np.where(a <= eps, 0.5 * r**2, eps * a - 0.5 * eps**2)


def test_huber_lbfgs_minimises_mean_huber_plus_the_l2_penalty(outliers):
    """lbfgs reaches the minimiser of J = mean Huber + alpha ‖w‖² found by scipy."""
    from scipy.optimize import minimize

    X, y = outliers
    eps, alpha = 1.0, 0.01
    model = LinearRegression(
        loss="huber", epsilon=eps, solver="lbfgs", penalty="l2", alpha=alpha,
        tol=1e-12, max_iter=1000,
    ).fit(X, y)  # fmt: skip

    def J(theta):
        w, b = theta[:3], theta[3]
        r = y - X @ w - b
        dJ0_dpred = np.clip(-r, -eps, eps)
        grad = np.append(X.T @ dJ0_dpred / len(y) + 2 * alpha * w, dJ0_dpred.mean())
        return _huber(r, eps).mean() + alpha * w @ w, grad

    ref = minimize(J, np.zeros(4), jac=True, method="BFGS", options={"gtol": 1e-13})
    assert_allclose(model.coef_, ref.x[:3], atol=1e-6)
    assert_allclose(model.intercept_, ref.x[3], atol=1e-6)
    squared = LinearRegression(penalty="l2", alpha=alpha).fit(X, y)  # pulled up
    assert abs(model.intercept_ - 1.0) < 0.3 < abs(squared.intercept_ - 1.0)


@pytest.mark.parametrize("engine", ["nodes", "compiled"])
def test_huber_sgd_epoch_matches_sklearn_sgdregressor(outliers, engine):
    """Per-sample Huber steps in data order are scikit-learn's: its L2 shrink
    ``w (1 - eta a)`` is lingrad's ``alpha ‖w‖²`` with alpha = a / 2."""
    from sklearn.linear_model import SGDRegressor

    X, y = outliers
    eps, lr, a = 1.35, 0.01, 0.02
    ours = LinearRegression(
        loss="huber", epsilon=eps, solver="sgd", lr=lr, shuffle=False,
        penalty="l2", alpha=a / 2, max_iter=1, tol=None, engine=engine,
    ).fit(X, y)  # fmt: skip
    ref = SGDRegressor(
        loss="huber", epsilon=eps, learning_rate="constant", eta0=lr,
        shuffle=False, penalty="l2", alpha=a,
    ).partial_fit(X, y)  # fmt: skip
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-10)
    assert_allclose(ours.intercept_, ref.intercept_[0], rtol=1e-10)


def test_huber_names_its_solvers_and_the_loss_names_come_from_the_registry(outliers):
    from lingrad.errors import InvalidParameterError

    X, y = outliers
    with pytest.raises(ValueError, match="solver='normal' solves the squared error"):
        LinearRegression(loss="huber").fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"\{'huber', 'squared_error'\}"):
        LinearRegression(loss="hinge").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'epsilon' parameter"):
        LinearRegression(loss="huber", epsilon=0.0, solver="sgd").fit(X, y)
    assert LinearRegression(loss="huber", epsilon=2.0)._make_loss().epsilon == 2.0


def test_huber_model_saves_loads_and_partial_fit_continues(outliers, tmp_path):
    from lingrad import load, save

    X, y = outliers
    model = LinearRegression(
        loss="huber",
        epsilon=0.8,
        solver="sgd",
        lr=0.01,
        max_iter=3,
        tol=None,
        random_state=0,
    ).fit(X, y)
    save(model, tmp_path / "huber.lingrad")
    back = load(tmp_path / "huber.lingrad")
    assert (back.loss, back.epsilon) == ("huber", 0.8)
    assert_allclose(back.predict(X), model.predict(X), rtol=1e-15)
    for m in (model, back):
        m.partial_fit(X, y)
    assert_allclose(back.coef_, model.coef_, rtol=1e-12)


def test_lingrad_fit_takes_the_huber_loss_by_param(outliers, tmp_path, capsys):
    """``--param loss=huber`` reaches the estimator, also with --stream."""
    from lingrad import load
    from lingrad.cli import main

    X, y = outliers
    path = tmp_path / "h.csv"
    rows = [",".join(f"{v:.17g}" for v in r) for r in np.column_stack([X, y])]
    path.write_text("a,b,c,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    runs = {
        "lbfgs": ["--solver", "lbfgs", "--tol", "1e-12"],
        "stream": ["--stream", "--solver", "sgd", "--max-iter", "2"],
    }
    for name, extra in runs.items():
        out = str(tmp_path / name)
        code = main(["fit", "-d", str(path), "-t", "y", "-m", "linear", "--param",
                     "loss=huber", "--param", "epsilon=1.0", "--no-figures",
                     "--no-compare", "--out", out, *extra])  # fmt: skip
        assert code == 0, capsys.readouterr().err
        model = load(tmp_path / name / "model.lingrad")
        assert (model.loss, model.epsilon) == ("huber", 1.0)
    ref = LinearRegression(loss="huber", epsilon=1.0, solver="lbfgs", tol=1e-12)
    lbfgs = load(tmp_path / "lbfgs" / "model.lingrad")
    assert_allclose(lbfgs.coef_, ref.fit(X, y).coef_, rtol=1e-6)
    # an explicit normal equation names the solvers that work; none given: lbfgs
    bad = ["fit", "-d", str(path), "-t", "y", "-m", "linear", "--param",
           "loss=huber", "--no-figures", "--solver", "normal",
           "--out", str(tmp_path / "n")]  # fmt: skip
    assert main(bad) == 1
    err = capsys.readouterr().err
    assert "solver='normal' solves the squared error only" in err
    assert "'lbfgs', 'sgd', 'minibatch', 'batch'" in err
    assert main(bad[:-4] + ["--out", str(tmp_path / "d")]) == 0
    assert load(tmp_path / "d" / "model.lingrad").solver == "lbfgs"


def test_huber_on_dask_chunks_is_the_in_memory_fit(client, outliers):
    """Dask runs the same loss: lbfgs by chunked sums; minibatch as one
    partial_fit per block, in the seeded order of blocks."""
    da = pytest.importorskip("dask.array")
    from lingrad.scale.dask_sgd import block_order, order_seed

    X, y = outliers
    chunks = (23, 1, 36)
    Xd, yd = da.from_array(X, chunks=(chunks, (3,))), da.from_array(y, chunks=chunks)
    lbfgs = LinearRegression(loss="huber", epsilon=1.0, solver="lbfgs", tol=1e-12)
    ours, ref = clone(lbfgs).fit(Xd, yd), clone(lbfgs).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-8)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8)
    sgd = LinearRegression(
        loss="huber",
        epsilon=1.0,
        solver="minibatch",
        batch_size=8,
        max_iter=2,
        tol=None,
        random_state=7,
    )
    ours, ref = clone(sgd).fit(Xd, yd), clone(sgd)
    bounds = np.cumsum((0, *chunks))
    for epoch in range(2):
        for i in block_order(order_seed(7), epoch, len(chunks)):
            ref.partial_fit(X[bounds[i] : bounds[i + 1]], y[bounds[i] : bounds[i + 1]])
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-12)


def test_explain_writes_the_huber_step_from_the_loss_class():
    """explain prints Huber's own formula text and its values (no explain code)."""
    from lingrad.models.registry import model_spec
    from lingrad.workflows.render import render
    from lingrad.workflows.walk import walk

    X, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([5.0, -0.2])
    model = LinearRegression(loss="huber", epsilon=1.0)
    text = render(walk(model_spec("linear"), model, X, y, step=0, lr=0.1, seed=0),
                  "toy", 2)  # fmt: skip
    # r = 5 - 0 > epsilon: J = 1·5 - 1/2, dJ_dpred = clip(0 - 5, -1, 1) = -1
    assert (
        "J = 1/2 r^2 if |r| <= epsilon else epsilon |r| - 1/2 epsilon^2 = 4.5" in text
    )
    assert "dJ_dpred = clip(pred - y, -epsilon, epsilon) = -1" in text
    assert "b := b - lr * dJ_db\n  = 0 - 0.1 * -1 = 0.1" in text
