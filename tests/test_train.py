"""The training loop against hand-written lecture loops and closed forms."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from lingrad.core.chain import Chain
from lingrad.core.losses import BinaryCrossEntropy, SquaredError
from lingrad.core.nodes import Affine, Sigmoid
from lingrad.core.penalties import L2
from lingrad.training.schedules import InverseTime
from lingrad.training.train import Callback, DivergenceError, Trainer


def regression(N=60, D=3, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    y = X @ rng.uniform(-3, 3, size=D) - 1.5 + noise * rng.normal(size=N)
    return X, y


def linear(D=3, W=None, b=None):
    W = np.zeros((D, 1)) if W is None else W.copy()
    b = np.zeros(1) if b is None else b.copy()
    return Chain([Affine(W, b)])


def coef(chain):
    return np.r_[chain.params["affine.W"][:, 0], chain.params["affine.b"]]


def least_squares(X, y):
    return np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]


def mse(X, y, theta):
    return float(np.mean((y - X @ theta[:-1] - theta[-1]) ** 2))


def test_per_sample_without_shuffle_is_the_lectures_loop():
    """Lecture 4, linear regression (n features), step for step."""
    rng = np.random.default_rng(1)
    n_data, n_feature, lr = 50, 3, 0.1
    x_data = rng.normal(size=(n_data, n_feature))
    y_data = x_data @ rng.uniform(-3, 3, (n_feature, 1)) + rng.uniform(-3, 3, (1,))
    W0, b0 = rng.uniform(-3, 3, (n_feature, 1)), rng.uniform(-3, 3, (1,))

    W, b = W0.copy(), b0.copy()
    J_track, W_track, b_track = [], [], []
    for X, y in zip(x_data, y_data, strict=True):
        W_track.append(W)
        b_track.append(b)
        pred = X @ W + b  # forward propagation
        J = (y - pred) ** 2
        J_track.append(J[0])
        dJ_dpred = -2 * (y - pred)  # jacobians
        dpred_dW = X.reshape(1, -1)
        dpred_db = 1
        dJ_dW = dJ_dpred * dpred_dW  # backpropagation
        dJ_db = dJ_dpred * dpred_db
        W = W - lr * dJ_dW.T  # parameter update
        b = b - lr * dJ_db

    chain = linear(W=W0, b=b0)
    trainer = Trainer(
        chain, SquaredError(), lr=lr, batch_size=1, shuffle=False, snapshot_every=1
    )
    trainer.partial_fit(x_data, y_data)
    h = trainer.history
    assert_allclose(h.step_loss, J_track, rtol=1e-12)
    assert_allclose(h.params["affine.W"], np.array(W_track), rtol=1e-12, atol=1e-12)
    assert_allclose(h.params["affine.b"], np.array(b_track), rtol=1e-12, atol=1e-12)
    assert_allclose(chain.params["affine.W"], W, rtol=1e-12)
    assert_allclose(chain.params["affine.b"], b, rtol=1e-12)


def test_logistic_loop_and_accumulated_accuracy():
    """Lecture 4, logistic regression (n features) with acc_track, unfused."""
    rng = np.random.default_rng(2)
    n_data, lr = 200, 0.03
    x_data = rng.normal(size=(n_data, 3))
    y_data = (expit(x_data @ rng.uniform(-1, 1, (3, 1)) + 0.2) > 0.5).astype(float)
    W0, b0 = rng.uniform(-1, 1, (3, 1)), rng.uniform(-1, 1, (1,))

    W, b, n_correct, J_track, acc_track = W0.copy(), b0.copy(), 0, [], []
    for data_idx, (X, y) in enumerate(zip(x_data, y_data, strict=True)):
        pred = expit(X @ W + b)
        J_track.append(-(y * np.log(pred) + (1 - y) * np.log(1 - pred))[0])
        n_correct += int((pred > 0.5).astype(int)[0] == y[0])
        acc_track.append(n_correct / (data_idx + 1))
        dJ_dpred = (pred - y) / (pred * (1 - pred))
        dJ_dz = dJ_dpred * pred * (1 - pred)
        W = W - lr * (dJ_dz * X.reshape(1, -1)).T
        b = b - lr * dJ_dz

    chain = Chain([Affine(W0.copy(), b0.copy()), Sigmoid()])
    trainer = Trainer(chain, BinaryCrossEntropy(), lr=lr, batch_size=1, shuffle=False)
    trainer.partial_fit(
        x_data, y_data, n_correct=lambda p, y: int(((p > 0.5) == y).sum())
    )
    h = trainer.history
    assert_allclose(h.step_loss, J_track, rtol=1e-10)
    assert_array_equal(h.accumulated_accuracy, acc_track)
    assert_allclose(h.epoch_accuracy, [acc_track[-1]])
    assert_allclose(chain.params["affine.W"], W, rtol=1e-10)


def test_minibatch_of_all_rows_is_one_batch_gd_step():
    X, y = regression()
    W0 = np.array([[0.3], [-0.2], [0.1]])
    trained = []
    for m in (len(X), None):
        chain = linear(W=W0)
        Trainer(
            chain, SquaredError(), lr=0.1, batch_size=m, random_state=3
        ).partial_fit(X, y)
        trained.append(coef(chain))
    dJ_dpred = -2 * (y[:, None] - (X @ W0)) / len(X)  # batch GD by hand
    W1 = W0 - 0.1 * X.T @ dJ_dpred
    b1 = -0.1 * dJ_dpred.sum()
    assert_allclose(trained[0], trained[1], rtol=1e-12, atol=0)
    assert_allclose(trained[0], np.r_[W1[:, 0], b1], rtol=1e-12)


def test_batch_gd_converges_to_least_squares():
    X, y = regression()
    chain = linear()
    result = Trainer(chain, SquaredError(), lr=0.2, batch_size=None).fit(
        X, y, max_iter=3000, tol=None
    )
    assert result.stop_reason == "max_iter" and not result.converged
    assert_allclose(coef(chain), least_squares(X, y), atol=1e-8)


def test_batch_gd_with_l2_converges_to_ridge_with_free_bias():
    X, y = regression()
    alpha, N = 0.3, len(X)
    chain = linear()
    Trainer(chain, SquaredError(), penalty=L2(alpha), lr=0.2, batch_size=None).fit(
        X, y, max_iter=3000, tol=None
    )
    Xc, yc = X - X.mean(0), y - y.mean()  # J = mean (y - pred)² + alpha ‖w‖²
    w = np.linalg.solve(Xc.T @ Xc / N + alpha * np.eye(3), Xc.T @ yc / N)
    b = y.mean() - X.mean(0) @ w
    assert_allclose(coef(chain), np.r_[w, b], atol=1e-8)


def test_minibatch_sgd_with_decay_reaches_the_optimum_loss():
    X, y = regression(N=200)
    J_star = mse(X, y, least_squares(X, y))
    chain = linear()
    trainer = Trainer(
        chain,
        SquaredError(),
        lr=0.05,
        schedule="inverse_time",
        batch_size=10,
        random_state=0,
        schedule_kw={"k": 0.01},
    )
    trainer.fit(X, y, max_iter=60, tol=None)
    assert mse(X, y, coef(chain)) - J_star < 1e-3
    assert trainer.history.step_lr[-1] < 0.05 / 10


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "adam"])
def test_extension_optimizers_converge_to_least_squares(optimizer):
    X, y = regression()
    chain = linear()
    Trainer(chain, SquaredError(), optimizer=optimizer, lr=0.05, batch_size=None).fit(
        X, y, max_iter=2000, tol=None
    )
    assert_allclose(coef(chain), least_squares(X, y), atol=1e-6)


def test_same_seed_same_history_different_seed_different_shuffles():
    X, y = regression()

    def history(seed):
        chain = linear()
        t = Trainer(
            chain,
            SquaredError(),
            lr=0.01,
            batch_size=4,
            random_state=seed,
            snapshot_every=3,
        )
        t.fit(X, y, max_iter=3, tol=None)
        return t.history.to_dict()

    a, b, c = history(7), history(7), history(8)
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
    assert not np.array_equal(a["step_loss"], c["step_loss"])


def test_divergence_names_epoch_step_and_lr_and_keeps_finite_params():
    X, y = regression()
    X = 1000 * X + 500  # unscaled inputs
    chain = linear()
    trainer = Trainer(chain, SquaredError(), lr=1e6, batch_size=1, random_state=0)
    with pytest.raises(DivergenceError, match=r"epoch 1, step \d+ \(lr=1e\+06\)") as e:
        trainer.fit(X, y)
    assert isinstance(e.value, FloatingPointError)
    message = str(e.value)
    assert "scale the inputs" in message and "Lower the learning rate" in message
    assert e.value.epoch == 1 and e.value.lr == 1e6
    assert all(np.isfinite(p).all() for p in chain.params.values())
    assert trainer.history.n_steps == e.value.step  # the steps run are recorded
    assert not np.isfinite(trainer.history.step_loss[-1])


def test_non_finite_parameter_restores_the_values_before_the_update():
    X, y = regression(N=8)

    class Poison(Callback):
        def on_step_end(self, trainer, t, J):
            if t == 7:  # the last step of the epoch: the loss never sees it
                trainer.chain.params["affine.W"][0, 0] = np.nan

    chain = linear()
    trainer = Trainer(
        chain, SquaredError(), lr=0.01, batch_size=1, shuffle=False, snapshot_every=1
    )
    with pytest.raises(DivergenceError, match="affine.W became non-finite"):
        trainer.fit(X, y, callbacks=[Poison()])
    assert_array_equal(chain.params["affine.W"], trainer.history.params["affine.W"][-1])


def test_max_iter_warns_and_tol_stops():
    X, y = regression()
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        Trainer(linear(), SquaredError(), lr=0.01).fit(X, y, max_iter=2)
    trainer = Trainer(linear(), SquaredError(), lr=0.1, batch_size=None)
    result = trainer.fit(X, y, max_iter=1000, tol=1e-6, n_iter_no_change=3)
    assert result.converged and result.stop_reason == "tol" and result.n_iter < 1000
    J = trainer.history.epoch_loss
    for j in range(len(J) - 3, len(J)):  # three epochs in a row without progress
        assert J[j] > J[:j].min() - 1e-6
    assert J[-4] <= J[:-4].min() - 1e-6


def test_early_stopping_holds_out_a_seeded_fraction():
    X, y = regression(N=100, noise=1.0)
    trainer = Trainer(linear(), SquaredError(), lr=0.05, batch_size=10, random_state=0)
    result = trainer.fit(
        X, y, max_iter=500, tol=1e-3, early_stopping=True, validation_fraction=0.2
    )
    h = trainer.history
    assert result.stop_reason == "early_stopping" and result.n_iter < 500
    assert (
        np.isfinite(h.epoch_val_loss).all() and len(h.epoch_val_loss) == result.n_iter
    )
    assert h.n_steps == 8 * result.n_iter  # 80 training rows in batches of 10
    assert result.best_loss == h.epoch_val_loss.min()
    with pytest.raises(ValueError, match="validation_fraction"):
        trainer.fit(X, y, early_stopping=True, validation_fraction=1.0)


def test_callbacks_stop_training():
    X, y = regression()
    trainer = Trainer(linear(), SquaredError(), lr=0.01, batch_size=6)
    result = trainer.fit(X, y, max_iter=50, callbacks=[lambda tr, epoch, J: epoch == 3])
    assert result.stop_reason == "callback" and result.n_iter == 3

    class StopAt(Callback):
        def on_step_end(self, trainer, t, J):
            return t == 4

    trainer = Trainer(linear(), SquaredError(), lr=0.01, batch_size=6)
    result = trainer.fit(X, y, max_iter=50, callbacks=[StopAt()])
    assert result.stop_reason == "callback" and trainer.history.n_steps == 5


def test_schedule_continues_across_partial_fit_and_warm_start():
    X, y = regression(N=20)
    lr, k = 0.1, 0.05
    trainer = Trainer(
        linear(),
        SquaredError(),
        lr=lr,
        schedule=InverseTime(lr, k),
        batch_size=3,
        shuffle=False,
    )
    for _ in range(3):
        trainer.partial_fit(X, y)
    t = np.arange(21)
    assert trainer.t == 21 and trainer.epoch == 3
    assert_allclose(trainer.history.step_lr, lr / (1 + k * t), rtol=1e-15)
    warm = Trainer(
        trainer.chain,
        SquaredError(),
        lr=lr,
        schedule="inverse_time",
        schedule_kw={"k": k},
        batch_size=3,
        t0=trainer.t,
    )
    warm.partial_fit(X, y)
    assert_allclose(warm.history.step_lr, lr / (1 + k * np.arange(21, 28)))


def test_adaptive_schedule_lowers_the_rate_then_stops():
    X, y = regression()
    trainer = Trainer(
        linear(), SquaredError(), lr=0.1, schedule="adaptive", batch_size=None
    )
    result = trainer.fit(X, y, max_iter=500, tol=1e-4, n_iter_no_change=3)
    assert result.stop_reason == "adaptive" and result.converged
    rates = np.unique(trainer.history.step_lr)[::-1]
    assert_allclose(rates, 0.1 * 0.2 ** np.arange(len(rates)))
    assert rates[-1] >= 1e-6 > rates[-1] * 0.2


def test_float32_inputs_keep_float32_parameters():
    X, y = regression()
    W = np.zeros((3, 1), dtype=np.float32)
    chain = Chain([Affine(W, np.zeros(1, dtype=np.float32))])
    Trainer(chain, SquaredError(), lr=0.05, batch_size=8, random_state=0).fit(
        X.astype(np.float32), y.astype(np.float32), max_iter=100, tol=None
    )
    assert chain.params["affine.W"].dtype == np.float32
    assert_allclose(coef(chain), least_squares(X, y), atol=0.05)


def test_verbose_two_prints_one_line_per_epoch_off_a_terminal(capsys):
    X, y = regression()
    Trainer(linear(), SquaredError(), lr=0.01, verbose=2).fit(
        X, y, max_iter=3, tol=None
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch    1  loss")
    Trainer(linear(), SquaredError(), lr=0.01, verbose=1).fit(
        X, y, max_iter=3, tol=None
    )
    assert capsys.readouterr().out == ""  # silent: stderr is not a terminal


def test_progress_bar_on_a_terminal_with_a_step_bar(monkeypatch):
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    X, y = regression(N=2500)  # a long epoch also gets a bar over its steps
    trainer = Trainer(linear(), SquaredError(), lr=0.01, verbose=1, random_state=0)
    result = trainer.fit(X, y, max_iter=2, tol=None)
    assert result.n_iter == 2 and trainer.history.n_steps == 5000


def test_finite_but_exploding_loss_is_divergence_not_convergence():
    """Batch GD with lr = 3/λmax(H): the loss grows ×4 per epoch but stays finite.

    The tolerance rule alone would stop after n_iter_no_change epochs "without
    improvement" and report convergence; the growth rule names the divergence.
    """
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5
    H = 2 * X.T @ X / len(X)  # Hessian of the mean squared error in w
    lr = 3.0 / np.linalg.eigvalsh(H).max()
    chain = Chain([Affine(np.zeros((2, 1)), np.zeros(1))])
    trainer = Trainer(chain, SquaredError(), lr=lr, batch_size=None)
    with pytest.raises(DivergenceError, match=r"epoch 6.*loss rose 5 epochs in a row"):
        trainer.fit(X, y, max_iter=100, tol=1e-4, n_iter_no_change=5)
    assert all(np.isfinite(p).all() for p in chain.params.values())
    assert np.all(np.diff(trainer.history.epoch_loss[1:]) > 0)
