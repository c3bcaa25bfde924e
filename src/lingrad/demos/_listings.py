"""The training loops of lecture 4's four listings, as printed, in plain NumPy.

Each demo that rebuilds a listing puts these numbers in its "lecture's listing (as
written)" column: an independent run of the lecture's own code (its loop, its
constant factors, its data types) beside lingrad's Trainer. Only the OCR garbling
of the seed is repaired (``dJ db`` → ``dJ_db``, ``np_exp`` → ``np.exp``); where a
listing does not run as printed the change is said at the line.
"""

from __future__ import annotations

import numpy as np

from lingrad.core.nodes import Array as Vector  # x_data rows, y_data, W (D, 1), b (1,)


def linear_1d(
    x_data: Vector, y_data: Vector, w: float, b: float, lr: float = 0.01
) -> tuple[float, float, list[float]]:
    """Linear Regression (1 Feature): w, b after one pass, and J_track."""
    J_track = list()
    for x, y in zip(x_data, y_data, strict=True):
        # loss calculation
        pred = x * w + b
        J = (y - pred) ** 2
        J_track.append(J)
        # jacobians
        dJ_dpred = -2 * (y - pred)
        dpred_dw = x
        dpred_db = 1
        # backpropagation
        dJ_dw = dJ_dpred * dpred_dw
        dJ_db = dJ_dpred * dpred_db
        w = w - 2 * lr * dJ_dw  # the listing's 2: dJ_dw already holds one
        b = b - 2 * lr * dJ_db
    return w, b, J_track


def linear_nd(
    x_data: Vector, y_data: Vector, W: Vector, b: Vector, lr: float = 0.1
) -> tuple[Vector, Vector, list[Vector]]:
    """Linear Regression (n Features): W (D, 1), b (1,) after one pass, J_track."""
    J_track = list()
    for X, y in zip(x_data, y_data, strict=True):
        # forward propagation
        pred = X @ W + b
        J = (y - pred) ** 2
        J_track.append(J)
        # jacobians
        dJ_dpred = -2 * (y - pred)
        dpred_dW = X.reshape(1, -1)
        dpred_db = 1  # printed "dpred_b = 1", then used as dpred_db
        # backpropagation
        dJ_dW = dJ_dpred * dpred_dW
        dJ_db = dJ_dpred * dpred_db
        # parameter update
        W = W - lr * dJ_dW.T
        b = b - lr * dJ_db
    return W, b, J_track


def logistic_1d(
    x_data: Vector, y_data: Vector, w: float, b: float, lr: float = 0.1
) -> tuple[float, float, list[float]]:
    """Logistic Regression (1 Feature): w, b after one pass, and J_track."""
    J_track = list()
    for x, y in zip(x_data, y_data, strict=True):
        # loss calculation
        pred = x * w + b
        pred = 1 / (1 + np.exp(-pred))
        J = -(y * np.log(pred) + (1 - y) * np.log(1 - pred))
        J_track.append(J)
        # jacobians
        dJ_dpred = (pred - y) / (pred * (1 - pred))
        dpred_dz = pred * (1 - pred)
        dz_dw = x
        dz_db = 1
        # backpropagation
        dJ_dz = dJ_dpred * dpred_dz
        dJ_dw = dJ_dz * dz_dw
        dJ_db = dJ_dz * dz_db
        # train model
        w = w - lr * dJ_dw
        b = b - lr * dJ_db
    return w, b, J_track


def logistic_nd(
    x_data: Vector, y_data: Vector, W: Vector, b: Vector, lr: float = 0.03
) -> tuple[Vector, Vector, list[Vector], list[float]]:
    """Logistic Regression (n Features): W, b after one pass, J_track, acc_track."""
    J_track, acc_track = list(), list()
    n_correct = 0
    for data_idx, (X, y) in enumerate(zip(x_data, y_data, strict=True)):
        # train model
        pred = X @ W + b
        pred = 1 / (1 + np.exp(-pred))
        J = -(y * np.log(pred) + (1 - y) * np.log(1 - pred))
        J_track.append(J)
        pred_ = (pred > 0.5).astype(int)  # printed np.int, gone since NumPy 1.24
        if pred_ == y:
            n_correct += 1
        acc_track.append(n_correct / (data_idx + 1))
        # jacobians
        dJ_dpred = (pred - y) / (pred * (1 - pred))
        dpred_dz = pred * (1 - pred)
        dz_dW = X.reshape(1, -1)
        dz_db = 1
        # backpropagation
        dJ_dz = dJ_dpred * dpred_dz
        dJ_dW = dJ_dz * dz_dW
        dJ_db = dJ_dz * dz_db
        # train model
        W = W - lr * dJ_dW.T
        b = b - lr * dJ_db
    return W, b, J_track, acc_track
