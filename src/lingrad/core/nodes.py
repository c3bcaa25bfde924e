"""Differentiable steps with hand-derived local Jacobians.

Every node has ``forward(a) -> out`` (caching what backward needs) and
``backward(dJ_dout) -> dJ_da``, a vector-Jacobian product that also fills the
gradients of the node's parameters. ``local_jacobians()`` shows, for the first
example of the last forward pass, the Jacobians the lectures write out, and
``formulas`` gives each one as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeAlias, TypeVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, DTypeLike, NDArray
from scipy.special import softmax

if TYPE_CHECKING:
    from lingrad.core.chain import Chain

Array = NDArray[np.floating]
# rows of X held sparse (scipy is untyped: these are Any to mypy)
SparseRows: TypeAlias = "sp.csr_matrix | sp.csr_array | sp.csc_matrix | sp.csc_array"
XLike: TypeAlias = "ArrayLike | SparseRows"  # X as given (a DataFrame: pandas is Any)
F = TypeVar("F", bound=Callable[..., object])
# a formula's value: an array in the node path, a float inside a compiled kernel
Real = TypeVar("Real", float, Array)
FORMULAS: list[Callable[..., object]] = []  # every @compilable function, in order


def compilable(fn: F) -> F:
    """Mark ``fn`` as a formula the compiled engine also runs; ``fn`` is unchanged.

    A formula is elementwise, written with NumPy ufuncs: the node path calls it
    on arrays, a kernel on scalars. :mod:`lingrad.training.compiled` registers every
    marked function with numba (``register_jitable``) when the kernels are
    first built, so importing lingrad never imports numba.

    Its values are typed :data:`Real`: arrays in the node path, floats inside the
    numba kernels, one body for both (hyperparameters: ``float``).
    """
    FORMULAS.append(fn)
    return fn


class Node:
    """One step ``out = f(a)`` of a chain, with ``dJ_da = dJ_dout · dout_da``."""

    name: ClassVar[str] = "node"
    formulas: ClassVar[dict[str, str]] = {}

    @property
    def params(self) -> dict[str, Array]:
        """Live parameter arrays by name; optimizers update them in place."""
        return {}

    @property
    def grads(self) -> dict[str, Array]:
        """Gradients dJ/dparam of the last backward, keyed like ``params``."""
        return {}

    def forward(self, a: Array) -> Array:
        raise NotImplementedError

    def backward(self, dJ_dout: Array) -> Array:
        raise NotImplementedError

    def local_jacobians(self) -> dict[str, Array]:
        """Local Jacobians of the last forward, for its first example."""
        raise NotImplementedError

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


class Affine(Node):
    """Affine map ``z = X @ W + b``; dz/dW = xᵀ, dz/db = 1, dz/dX = Wᵀ.

    X may be a ``scipy.sparse`` matrix or array (CSR is the fast one): the
    products ``X @ W`` and ``Xᵀ @ dJ_dz`` are then sparse products, at a cost
    proportional to X's nonzeros; X is never densified (z and the gradients
    are dense, as W).

    Parameters
    ----------
    W : ndarray of shape (n_features, n_outputs)
        Weights (a 1-D ``w`` is taken as one column).
    b : ndarray of shape (n_outputs,) or None
        Bias; ``None`` gives ``z = X @ W`` with no bias parameter.
    """

    name = "affine"
    formulas = {
        "dz_dW": "dz_dW = x^T        ->  dJ_dW = X^T @ dJ_dz",
        "dz_db": "dz_db = 1          ->  dJ_db = sum_n dJ_dz",
        "dz_dX": "dz_dX = W^T        ->  dJ_dX = dJ_dz @ W^T",
    }

    def __init__(self, W: Array, b: Array | None = None) -> None:
        W = np.asarray(W)
        self.W = W[:, None] if W.ndim == 1 else W  # (D, K)
        self.b = None if b is None else np.atleast_1d(np.asarray(b))  # (K,)
        self.dJ_dW = np.zeros_like(self.W)
        self.dJ_db = None if self.b is None else np.zeros_like(self.b)

    @classmethod
    def init(
        cls,
        n_in: int,
        n_out: int,
        rng: np.random.Generator | np.random.RandomState,
        *,
        scale: float | None = None,
        bias: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> Affine:
        """Glorot-uniform ``W ~ U(-s, s)``, ``s = sqrt(6 / (n_in + n_out))``; b = 0."""
        s = np.sqrt(6.0 / (n_in + n_out)) if scale is None else scale
        W = rng.uniform(-s, s, size=(n_in, n_out)).astype(dtype)
        return cls(W, np.zeros(n_out, dtype=dtype) if bias else None)

    @property
    def params(self) -> dict[str, Array]:
        return {"W": self.W} if self.b is None else {"W": self.W, "b": self.b}

    @property
    def grads(self) -> dict[str, Array]:
        if self.dJ_db is None:
            return {"W": self.dJ_dW}
        return {"W": self.dJ_dW, "b": self.dJ_db}

    def forward(self, X: Array | SparseRows) -> Array:
        self._X = X  # cached for backward: dz/dW = X^T
        z = X @ self.W  # (N, K)
        if self.b is not None:
            z += self.b
        return z

    def backward(self, dJ_dz: Array) -> Array:
        self.backward_params(dJ_dz)
        return dJ_dz @ self.W.T  # (N, D)  dz/dX = W^T

    def backward_params(self, dJ_dz: Array) -> None:
        """Fill dJ_dW and dJ_db only (a first layer needs no dJ_dX)."""
        if sp.issparse(self._X):  # a sparse product (matmul takes no out= here)
            self.dJ_dW[...] = self._X.T @ dJ_dz  # (D, K)  dz/dW = X^T
        else:
            np.matmul(self._X.T, dJ_dz, out=self.dJ_dW)  # (D, K)  dz/dW = X^T
        if self.dJ_db is not None:
            dJ_dz.sum(axis=0, out=self.dJ_db)  # (K,)  dz/db = 1

    def local_jacobians(self) -> dict[str, Array]:
        X = self._X
        x = X[0] if isinstance(X, np.ndarray) else X[0:1].toarray()[0]  # one row
        jac = {"dz_dW": x.copy(), "dz_dX": self.W.T.copy()}
        if self.b is not None:
            jac["dz_db"] = np.ones_like(self.b)
        return jac


class _Elementwise(Node):
    """An activation ``pred = f(z)`` applied per entry; its Jacobian is diagonal."""

    pred: Array  # output of the last forward, cached for backward

    def local_jacobians(self) -> dict[str, Array]:
        return {"dpred_dz": self._dpred_dz()[0].copy()}

    def backward(self, dJ_dpred: Array) -> Array:
        return dJ_dpred * self._dpred_dz()

    def _dpred_dz(self) -> Array:
        raise NotImplementedError


@compilable
def sigmoid(z: Real) -> Real:
    """``σ(z) = 1 / (1 + exp(-z))``, scipy's expit: exp overflows to inf, σ to 0.

    The overflow is the intended limit; arrays are evaluated under
    ``np.errstate(over="ignore")`` (see :func:`expit`).
    """
    return 1.0 / (1.0 + np.exp(-z))


def expit(z: Array) -> Array:
    """:func:`sigmoid` of an array, without the (harmless) overflow warning."""
    with np.errstate(over="ignore"):
        pred: Array = sigmoid(z)
    return pred


@compilable
def sigmoid_dpred_dz(pred: Real) -> Real:
    """``dpred_dz = pred (1 - pred)`` of the sigmoid."""
    return pred * (1.0 - pred)


class Sigmoid(_Elementwise):
    """``pred = 1 / (1 + exp(-z))``; dpred/dz = pred (1 - pred)."""

    name = "sigmoid"
    formulas = {"dpred_dz": "dpred_dz = pred * (1 - pred)"}

    def forward(self, z: Array) -> Array:
        self.pred = expit(z)  # no overflow warning for |z| up to 1e6 and beyond
        return self.pred

    def _dpred_dz(self) -> Array:
        dpred_dz: Array = sigmoid_dpred_dz(self.pred)
        return dpred_dz


@compilable
def bipolar_sigmoid(z: Real) -> Real:
    """``f = (1 - exp(-z)) / (1 + exp(-z)) = tanh(z / 2)`` (no overflow)."""
    return np.tanh(0.5 * z)


@compilable
def bipolar_sigmoid_dpred_dz(pred: Real) -> Real:
    """``dpred_dz = (1 - pred²) / 2`` of the bipolar sigmoid."""
    return 0.5 * (1.0 - pred * pred)


class BipolarSigmoid(_Elementwise):
    """``f = (1 - exp(-z)) / (1 + exp(-z)) = tanh(z / 2)``; df/dz = (1 - f²) / 2."""

    name = "bipolar_sigmoid"
    formulas = {"dpred_dz": "dpred_dz = (1 - pred**2) / 2"}

    def forward(self, z: Array) -> Array:
        self.pred = bipolar_sigmoid(z)
        return self.pred

    def _dpred_dz(self) -> Array:
        dpred_dz: Array = bipolar_sigmoid_dpred_dz(self.pred)
        return dpred_dz


class Tanh(_Elementwise):
    """``pred = tanh(z)``; dpred/dz = 1 - pred²."""

    name = "tanh"
    formulas = {"dpred_dz": "dpred_dz = 1 - pred**2"}

    def forward(self, z: Array) -> Array:
        self.pred = np.tanh(z)
        return self.pred

    def _dpred_dz(self) -> Array:
        return 1.0 - self.pred * self.pred


class Softmax(Node):
    """``q = exp(z) / sum_k exp(z_k)`` per row; dq/dz = diag(q) - q qᵀ."""

    name = "softmax"
    q: Array
    formulas = {
        "dq_dz": "dq_dz = diag(q) - q q^T  ->  dJ_dz = q * (dJ_dq - <dJ_dq, q>)"
    }

    def forward(self, z: Array) -> Array:
        self.q = softmax(z, axis=1)  # shifts by the row max: no overflow
        return self.q

    def backward(self, dJ_dq: Array) -> Array:
        q = self.q
        dJ_dz: Array = q * (dJ_dq - np.sum(dJ_dq * q, axis=1, keepdims=True))
        return dJ_dz  # (N, K)

    def jacobian(self, row: int = 0) -> Array:
        """Full Jacobian ``diag(q) - q qᵀ`` of one row (for teaching and tests)."""
        q = self.q[row]
        return np.diagflat(q) - np.outer(q, q)

    def local_jacobians(self) -> dict[str, Array]:
        return {"dq_dz": self.jacobian(0)}


class Residual(Node):
    """Skip connection ``h = x + inner(x)``; dh/dx = I + d inner/dx.

    The inner chain must map width D to width D (homework Problem 7:
    ``h = x + σ(W₁ z)`` with ``z = σ(W₀ x)``).
    """

    name = "residual"
    formulas = {
        "dh_dx": "dh_dx = I + dinner_dx  ->  dJ_dx = dJ_dh + inner.backward(dJ_dh)"
    }

    def __init__(self, inner: Chain) -> None:
        self.inner = inner

    @property
    def params(self) -> dict[str, Array]:
        return self.inner.params

    @property
    def grads(self) -> dict[str, Array]:
        return self.inner.grads

    def forward(self, x: Array) -> Array:
        out = self.inner.forward(x)
        if out.shape != x.shape:
            raise ValueError(
                f"Residual: the inner chain maps {x.shape} to {out.shape}; "
                "a skip connection needs the same width in and out."
            )
        return x + out

    def backward(self, dJ_dh: Array) -> Array:
        return dJ_dh + self.inner.backward(dJ_dh)  # identity path + inner path

    def local_jacobians(self) -> dict[str, Array]:
        jac: dict[str, Array] = {}
        for name, node in self.inner.named_nodes():
            for key, value in node.local_jacobians().items():
                jac[f"{name}.{key}"] = value
        return jac


class NotDifferentiableError(TypeError):
    """Raised by ``Step.backward``: the hard threshold has no useful gradient."""


class Step(Node):
    """Hard threshold ``pred = 1 if z >= 0 else 0`` (the perceptron's output)."""

    name = "step"
    formulas = {"dpred_dz": "dpred_dz = 0 almost everywhere, undefined at z = 0"}

    def forward(self, z: Array) -> Array:
        self.pred = (z >= 0).astype(z.dtype)
        return self.pred

    def backward(self, dJ_dpred: Array) -> Array:
        raise NotDifferentiableError(
            "Step has no useful derivative: dpred/dz is 0 everywhere except at z = 0, "
            "where it is undefined, so backpropagation through it would never move the "
            "weights. The perceptron therefore uses its own rule, "
            "w <- w + lr * (y - pred) * x, which is gradient descent on the perceptron "
            "criterion (lingrad.losses.PerceptronCriterion) applied to z, not to pred."
        )

    def local_jacobians(self) -> dict[str, Array]:
        return {"dpred_dz": np.zeros_like(self.pred[0])}


class Argmax(Node):
    """Winner-takes-all ``pred = onehot(argmax_k z_k)`` (the multi-class perceptron)."""

    name = "argmax"
    formulas = {"dpred_dz": "dpred_dz = 0 almost everywhere, undefined at ties"}

    def forward(self, z: Array) -> Array:
        self.pred = np.zeros_like(z)
        self.pred[np.arange(len(z)), z.argmax(axis=1)] = 1.0
        return self.pred

    def backward(self, dJ_dpred: Array) -> Array:
        raise NotDifferentiableError(
            "Argmax has no useful derivative (0 almost everywhere). The multi-class "
            "perceptron uses its own rule, theta_y += lr x and theta_argmax -= lr x, "
            "which is gradient descent on "
            "lingrad.core.losses.MulticlassPerceptronCriterion applied to the scores z."
        )

    def local_jacobians(self) -> dict[str, Array]:
        return {"dpred_dz": np.zeros((self.pred.shape[1], self.pred.shape[1]))}
