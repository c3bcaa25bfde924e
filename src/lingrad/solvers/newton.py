"""Damped Newton with an Armijo line search; the logistic Hessian for it.

:func:`newton` minimises any ``f_grad_hess(θ) -> (J, g, H)``;
:func:`newton_logistic` supplies the logistic Hessian
``Xᵀ diag(s ŷ(1 - ŷ)/N) X`` (one block per column of Y).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.linalg
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from lingrad.chain import Chain
from lingrad.history import History
from lingrad.losses import BinaryCrossEntropy, Loss
from lingrad.nodes import Affine, Array
from lingrad.penalties import L2
from lingrad.solvers.result import SolverResult


def _solve_pd(H: Array, g: Array) -> Array:
    """The Newton step ``-H⁻¹ g`` (Cholesky; least squares if H is singular)."""
    try:
        return -scipy.linalg.solve(H, g, assume_a="pos", check_finite=False)  # type: ignore[no-any-return]
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return -scipy.linalg.lstsq(H, g, check_finite=False)[0]  # type: ignore[no-any-return]


class _AffineObjective:
    """J and g of ``loss(X @ W + b, Y) + l2 ‖W‖²`` over θ (K, D1), row k = [w_k, b_k].

    J and g come from the chain ``[Affine]`` and the loss (our forward and
    backward); the Newton solvers add their Hessian in this layout.
    """

    def __init__(
        self, chain: Chain, loss: Loss, X: Array, Y: Array, s: Array | None, l2: float
    ) -> None:
        self.chain, self.loss, self.X, self.Y = chain, loss, X, Y
        self.node: Any = cast(Any, chain.nodes[0])  # the Affine
        self.l2, self.penalty = l2, L2(l2)
        self.sample_weight = s
        self.s = np.ones(len(X)) if s is None else np.asarray(s, dtype=np.float64)
        self.K, self.D = Y.shape[1], X.shape[1]
        self.fit_b = self.node.b is not None
        self.D1 = self.D + int(self.fit_b)

    def pack(self) -> Array:
        W, b = self.node.W, self.node.b
        theta = W.T if b is None else np.hstack([W.T, b[:, None]])
        return np.asarray(theta, dtype=np.float64).ravel()

    def unpack(self, theta: Array) -> None:
        T = theta.reshape(self.K, self.D1)
        self.node.W[...] = T[:, : self.D].T
        if self.fit_b:
            self.node.b[...] = T[:, self.D]

    def f(self, theta: Array) -> float:
        self.unpack(theta)
        J = self.loss.forward(self.chain.forward(self.X), self.Y, self.sample_weight)
        return J + self.penalty.value(self.node.W)

    def grad(self) -> Array:
        """g at the last ``f``: our dJ/dW + 2 l2 W and dJ/db, as θ."""
        self.chain.backward_params(self.loss.backward())
        g = np.empty((self.K, self.D1))
        g[:, : self.D] = (self.node.dJ_dW + self.penalty.grad(self.node.W)).T
        if self.fit_b:
            g[:, self.D] = self.node.dJ_db
        return g.ravel()


def newton(
    f_grad_hess: Callable[[Array], tuple[float, Array, Any]],
    theta0: Array,
    *,
    f: Callable[[Array], float] | None = None,
    solve: Callable[[Any, Array], Array] = _solve_pd,
    max_iter: int = 100,
    tol: float = 1e-8,
    history: History | None = None,
    n_samples: int = 0,
    warn: bool = True,
) -> SolverResult:
    """Damped Newton ``θ ← θ + a·d``, ``H d = -g``, a halved until Armijo holds.

    Parameters
    ----------
    f_grad_hess : callable ``θ -> (J, g, H)``
        Objective, gradient and Hessian (H in any form ``solve`` accepts).
    f : callable ``θ -> J`` or None
        Cheap objective for the line search (default: ``f_grad_hess(θ)[0]``).
    solve : callable ``(H, g) -> d``
        The Newton direction; default Cholesky of a dense H.
    tol : float
        Converged when ``max |g| <= tol``.
    history : History or None
        One epoch per iteration (step_loss: J before, epoch_loss: J after,
        step_lr: the accepted step length a).
    warn : bool
        Emit a ``ConvergenceWarning`` when stopping unconverged.
    """
    theta = np.array(theta0, dtype=np.float64)
    f = f or (lambda th: f_grad_hess(th)[0])
    message, converged, it = "max_iter reached", False, 0
    J = float("nan")
    for it in range(max_iter + 1):  # noqa: B007
        J, g, H = f_grad_hess(theta)
        if float(np.max(np.abs(g), initial=0.0)) <= tol:
            converged, message = True, "gradient norm below tol"
            break
        if it == max_iter:
            break
        d = solve(H, g)
        slope = float(g @ d)
        if not slope < 0:  # not a descent direction: fall back to -g
            d, slope = -g, -float(g @ g)
        a = 1.0
        J_new = f(theta + d)
        while not J_new <= J + 1e-4 * a * slope and a > 1e-12:
            a *= 0.5
            J_new = f(theta + a * d)
        if not J_new <= J:
            message = "line search found no decrease (precision limit)"
            converged = bool(abs(slope) <= 1e3 * np.finfo(float).eps * max(abs(J), 1))
            break
        theta += a * d
        if history is not None:
            history.add_steps([J], [a], [n_samples])
            history.add_epoch(J_new)
    if warn and not converged:
        warnings.warn(
            f"Newton did not converge in {it} iterations (tol={tol:g}): {message}.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SolverResult(theta, it, float(J), converged, message)


def newton_logistic(
    X: Array,
    Y: Array,
    sample_weight: Array | None = None,
    l2: float = 0.0,
    fit_intercept: bool = True,
    *,
    W0: Array | None = None,
    b0: Array | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
    history: History | None = None,
    warn: bool = True,
) -> tuple[Array, Array, SolverResult]:
    """Newton for ``J = (1/N) Σ s_i BCE(y_i, σ(x_iᵀw + b)) + l2 ‖w‖²`` per column.

    J and g from our chain ``[Affine]`` with ``BinaryCrossEntropy(from_logits)``;
    the Hessian of column k is ``Xᵀ diag(s ŷ_k (1 - ŷ_k) / N) X + 2 l2 I`` (with
    a row and column for b). Columns of Y (one-vs-rest) are independent:
    H is block-diagonal and each block is solved alone.

    Returns W (D, K), b (K,) (zeros without intercept) and the result.
    """
    N, D = X.shape
    Y = np.asarray(Y).reshape(N, -1)
    K = Y.shape[1]
    W = np.zeros((D, K), X.dtype) if W0 is None else np.array(W0, dtype=X.dtype)
    b = np.zeros(K, X.dtype) if b0 is None else np.array(b0, dtype=X.dtype)
    chain = Chain([Affine(W, b if fit_intercept else None)])  # live W, b
    loss = BinaryCrossEntropy(from_logits=True)
    objective = _AffineObjective(chain, loss, X, Y, sample_weight, l2)
    D1, s = objective.D1, objective.s

    def f_grad_hess(theta: Array) -> tuple[float, Array, Array]:
        J = objective.f(theta)
        g = objective.grad()
        pred = expit(loss.pred)  # (N, K) ŷ of the last forward
        d = s[:, None] * pred * (1.0 - pred) / N  # (N, K) d²J/dz²
        H = np.zeros((K, D1, D1))
        m = max(1, (1 << 22) // (8 * D))  # rows per chunk (~4 MB): bounded memory
        for k in range(K):
            for i in range(0, N, m):
                Xd = X[i : i + m] * np.sqrt(d[i : i + m, k])[:, None]
                H[k, :D, :D] += Xd.T @ Xd  # Xᵀ diag(d) X
                if fit_intercept:
                    H[k, :D, D] += X[i : i + m].T @ d[i : i + m, k]
            H[k, :D, :D] += 2 * l2 * np.eye(D)
            if fit_intercept:
                H[k, D, :D] = H[k, :D, D]
                H[k, D, D] = d[:, k].sum()
        return J, g, H

    def solve(H: Array, g: Array) -> Array:
        G = g.reshape(K, D1)
        return np.concatenate([_solve_pd(H[k], G[k]) for k in range(K)])

    result = newton(
        f_grad_hess, objective.pack(), f=objective.f, solve=solve, max_iter=max_iter,
        tol=tol, history=history, n_samples=N, warn=warn,
    )  # fmt: skip
    objective.unpack(result.theta)
    if history is not None:
        history.set_final(chain.params)
    return W.copy(), b.copy(), result
