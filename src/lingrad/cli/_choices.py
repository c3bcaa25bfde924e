"""``lingrad fit``'s fixed choices: one ``StrEnum`` per option."""

from __future__ import annotations

from enum import StrEnum


class Solver(StrEnum):
    sgd = "sgd"
    minibatch = "minibatch"
    batch = "batch"
    normal = "normal"
    lbfgs = "lbfgs"
    newton = "newton"


class Schedule(StrEnum):
    constant = "constant"
    invscaling = "invscaling"
    inverse_time = "inverse_time"
    step = "step"
    exponential = "exponential"
    adaptive = "adaptive"


class Penalty(StrEnum):
    none = "none"
    l1 = "l1"
    l2 = "l2"
    elasticnet = "elasticnet"


class Optimizer(StrEnum):
    gd = "gd"
    momentum = "momentum"
    nesterov = "nesterov"
    adam = "adam"


class Categorical(StrEnum):
    auto = "auto"
    error = "error"


class Impute(StrEnum):
    mean = "mean"
    median = "median"
    most_frequent = "most_frequent"
    drop = "drop"


class Engine(StrEnum):
    auto = "auto"
    nodes = "nodes"
    compiled = "compiled"
    dask = "dask"
