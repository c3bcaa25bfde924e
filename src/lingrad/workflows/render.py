"""The text of ``lingrad explain``: a recorded step in the lecture's five blocks.

``# forward propagation``, ``# loss``, ``# jacobians``, ``# backpropagation``,
``# update``: one formula and its value a line, named as the lecture names them
(x, z, pred, W, b, dJ_dpred, dpred_dz, dz_dW, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from lingrad.workflows.render_sparse import update_lines, x_lines

if TYPE_CHECKING:
    from lingrad.core.chain import Chain, TraceStep
    from lingrad.core.losses import Loss
    from lingrad.core.nodes import Array, Node
    from lingrad.workflows.walk import Walk

_SYMBOL = {  # the loss's input, as its formula names it
    "squared_error": "pred",
    "binary_cross_entropy": "pred",
    "cross_entropy": "q",
    "perceptron": "z",
    "multiclass_perceptron": "s",
}
_ACT = {  # activation: (forward formula, local Jacobian formula) in names o / i
    "Sigmoid": ("sigmoid(i) = 1 / (1 + exp(-i))", "o * (1 - o)"),
    "BipolarSigmoid": ("(1 - exp(-i)) / (1 + exp(-i))", "(1 - o**2) / 2"),
    "Tanh": ("tanh(i)", "1 - o**2"),
    "Softmax": ("softmax(i) = exp(i) / sum(exp(i))", "diag(o) - outer(o, o)"),
}
# the notes' names: model -> (each node's output, symbols beside code names,
# parameters by the chain's key, a line on where the names come from)
NOTES: dict[str, tuple[list[str], dict[str, str], dict[str, str], str]] = {
    "linear": (["pred"], {"pred": "ŷ"}, {}, "lecture 4: ŷ = xᵀw + b"),
    "logistic": (["z", "pred"], {"pred": "ŷ"}, {}, "lecture 4: z = xᵀw + b, ŷ = σ(z)"),
    "bipolar": (
        ["z", "pred"], {"pred": "f(x; w)"}, {},
        "homework Problem 3: f(x; w) = (1 − e^(−wᵀx)) / (1 + e^(−wᵀx))",
    ),
    "perceptron": (["z"], {"z": "xᵀθ"}, {}, "notes § perceptron: h_θ(x) = [xᵀθ ≥ 0]"),
    "multiclass-perceptron": (
        ["s"], {"s": "xθ_j"}, {}, "notes § multi-class perceptron: h_θ(x) = max_j xθ_j"
    ),
    "softmax": (
        ["z", "q"], {"q": "S(xθ_j)"}, {},
        "notes § Softmax: S(xθ_j) = e^(xθ_j) / Σ_k e^(xθ_k)",
    ),
    "two-layer": (
        ["zhat", "z", "qhat", "q"],
        {"zhat": "ẑ", "qhat": "q̂"},
        {"affine0.W": "W", "affine0.b": "b", "affine1.W": "V", "affine1.b": "c"},
        "notes § ANN: ẑ_s = Σ_i x_i w_is, z_s = σ(ẑ_s), q̂_k = Σ_s z_s v_sk, "
        "q = softmax(q̂); W = [w_is], V = [v_sk]; b, c: biases the notes leave out",
    ),
    "residual": (
        ["h", "s", "g"],
        {"g": "g(x)"},
        {"residual.affine0.W": "W0", "residual.affine1.W": "W1", "affine.W": "w2"},
        "homework Problem 7: z = σ(W0ᵀx), h = x + σ(W1ᵀz), g = σ(w2ᵀh); zhat, "
        "hhat: the sums inside σ",
    ),
}  # fmt: skip
_PENALTY = {  # value and gradient of alpha * C(W)
    "L1": ("alpha ||W||_1", "alpha sign(W)"),
    "L2": ("alpha ||W||^2", "2 alpha W"),
    "ElasticNet": (
        "alpha (l1_ratio ||W||_1 + (1 - l1_ratio) ||W||^2)",
        "alpha (l1_ratio sign(W) + 2 (1 - l1_ratio) W)",
    ),
}


def fmt(value: ArrayLike) -> str:
    """A value as the lecture prints it: scalars to 6 digits, arrays to 4."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1:
        return f"{float(a.ravel()[0]) + 0.0:.6g}"
    if a.ndim == 1:
        items = [f"{v + 0.0:.4g}" for v in a]  # + 0.0: no "-0"
        if len(items) > 12:
            items = [*items[:3], "...", *items[-3:]]
        return "[" + ", ".join(items) + "]"
    rows = [fmt(r) if r.size > 1 else f"[{fmt(r)}]" for r in a.reshape(len(a), -1)]
    if len(rows) > 8:
        rows = [*rows[:3], "...", *rows[-2:]]
    return (
        "["
        + ", ".join(rows)
        + "]"
        + (f" ({a.shape[0]}x{a.shape[1]})" if a.size > 12 else "")
    )


def line(lhs: str, formula: str | None, value: ArrayLike | str | None = None) -> str:
    """``lhs = formula = value`` (the value on its own line when long)."""
    text = lhs if formula is None else f"{lhs} = {formula}"
    if value is None:
        return text
    shown = value if isinstance(value, str) else fmt(value)
    if formula is not None and shown == formula:
        return text
    if len(text) + len(shown) + 3 <= 96 or not text.strip():
        return f"{text} = {shown}"  # a continuation line keeps its value
    return f"{text}\n{' ' * (len(lhs) + 1)}= {shown}"


class Names:
    """Lecture names for the chain's variables and parameters (the notes' where the
    model is one of theirs), and the notes' symbol beside a code name."""

    def __init__(self, chain: Chain, loss: Loss, model: str | None = None) -> None:
        from lingrad.core.nodes import Affine, Residual

        nodes = chain.nodes
        has_res = any(isinstance(n, Residual) for n in nodes)
        n_aff = sum(isinstance(n, Affine) for n in nodes)
        params = [("w2", "b2")] if has_res else [("W", "b"), ("V", "c")]
        if n_aff > len(params):
            params = [(f"W{k + 1}", f"b{k + 1}") for k in range(n_aff)]
        symbol = _SYMBOL.get(loss.name, "pred")
        outs = iter(["z", "s", "t", "u"])
        self.inp: list[str] = []
        self.out: list[str] = []
        self.param: dict[str, str] = {}
        self.symbol: dict[str, str] = {}
        self.source = ""
        k = 0
        for i, (name, node) in enumerate(chain.named_nodes()):
            self.inp.append("x" if i == 0 else self.out[-1])
            last = i == len(nodes) - 1
            if isinstance(node, Affine):
                W, b = params[k]
                k += 1
                self.param.update({f"{name}.W": W, f"{name}.b": b})
                self.out.append(symbol if last else next(outs))
            elif isinstance(node, Residual):
                for key in node.params:
                    layer = key.split(".")[0].replace("affine", "")
                    self.param[f"{name}.{key}"] = f"{key[-1]}{layer or 0}"
                self.out.append(symbol if last else "h")
            else:
                self.out.append(symbol if last else "h")
        notes = NOTES.get(model or "")
        if notes is not None and len(notes[0]) == len(self.out):
            self.out, self.symbol = list(notes[0]), dict(notes[1])
            self.inp = ["x", *self.out[:-1]]
            self.param.update(notes[2])
            self.source = notes[3]

    def p(self, key: str) -> str:
        return self.param.get(key, key)

    def shown(self, name: str) -> str:
        """``zhat (ẑ)``: the code name, and the notes' symbol where it differs."""
        return f"{name} ({self.symbol[name]})" if name in self.symbol else name


def outer(a: str, grad: str) -> str:
    """dJ/dW of ``z = a @ W``: the outer product of the input and dJ/dz."""
    return f"outer({a}, {grad}) = {a}^T @ {grad}   (outer product)"


def render(w: Walk, source: str, n_rows: int) -> str:
    """The walk as the lecture's five blocks."""

    names = Names(w.chain, w.loss, w.spec.name)
    tr, out = w.trace, []
    sym = names.out[-1]
    before_text = (
        "no update made before it"
        if w.step == 0
        else f"{w.step} update{'s' if w.step > 1 else ''} made before it"
    )
    if w.auto and w.step > 0:
        before_text += (
            "; the first example with a non-zero gradient: the ones before it "
            "change nothing"
        )
    y_text = f"    y = {w.y}" + ("" if _same(w.y, w.Y) else f"  (target {fmt(w.Y)})")
    example = f"{w.index}" + (f" (id {w.example_id})" if w.example_id else "")
    out += [
        f"lingrad explain: {w.spec.name} — {w.spec.summary}",
        f"data: {source}, example {example} of {n_rows} in the data's order "
        f"(step {w.step}: {before_text})",
        w.init_note,
        *([f"names as in {names.source}"] if names.source else []),
    ]
    if w.columns is None:
        out.append(line("x", None, w.x) + y_text)
    else:
        out += x_lines(w, names.p(w.sparse_key), y_text)
    out += ["", "# forward propagation"]
    rows = _rows(w, names)
    for r in rows:
        out.append(line(names.shown(r.o), _forward(r, names), r.value))
    scores = np.atleast_2d(tr.steps[-1].output)
    if w.loss.name == "multiclass_perceptron":
        k = int(np.argmax(scores[0]))
        out.append(
            line("pred (h_θ(x))", f"argmax_k {sym}_k", k)
            + f"   (the prediction: class {k})"
        )
    elif w.output_node is not None:
        pred = w.output_node.forward(scores)[0]
        f = (
            f"[{sym} >= 0]"
            if w.output_node.name == "step"
            else f"{w.output_node.name}({sym})"
        )
        out.append(line("pred (h_θ(x))", f, pred) + "   (the prediction)")
    J0 = _rename(w.loss.formula.split("=", 1)[1].strip(), sym)
    out += ["", "# loss"]
    J0, _, where = J0.partition(",  ")
    where = f"   ({where.strip()})" if where else ""
    assert tr.J is not None  # traced with its loss
    if w.penalty is None:
        out.append(line("J", J0, tr.J) + where)
    else:
        rule = _PENALTY.get(type(w.penalty).__name__, ("alpha C(W)", ""))[0]
        out.append(line("J0", J0, tr.J) + where)
        out.append(line("J", f"J0 + {rule}   ({w.penalty!r})", tr.J + w.penalty_value))
    out += ["", "# jacobians"]
    grad_rhs = _rename(w.loss.gradient.split("=", 1)[1].strip(), sym)
    out.append(line(f"dJ_d{sym}", grad_rhs, tr.dJ_dpred))
    for r in reversed(rows):
        out += _jacobians(r, names)
    out += ["", "# backpropagation"]
    for r in reversed(rows):
        out += _backprop(r, names)
    for key, g in w.penalty_grads.items():
        P = names.p(key)
        rule = _PENALTY.get(type(w.penalty).__name__, ("", "alpha dC_dW"))[1]
        out.append(line(f"dJ_d{P} += {rule.replace('W', P)}", None, g))
    if w.fused is not None:
        unfused_dz = tr.steps[-1].dJ_din
        assert unfused_dz is not None and w.fused_dJ_dz is not None  # both traced
        diff = float(np.max(np.abs(unfused_dz - w.fused_dJ_dz)))
        rhs = w.fused.gradient.split("=", 1)[1].split("(")[0].strip()
        out.append(
            line(f"fused, as trained: dJ_d{names.inp[-1]}", rhs, w.fused_dJ_dz)
            + f"   (agrees to {diff:.1e})"
        )
    out += ["", f"# update (lr = {w.lr:g})"]
    for key in w.before:
        P = names.p(key)
        if key == w.sparse_key:
            out += update_lines(w, key, P, fmt)
            continue
        out.append(f"{P} := {P} - lr * dJ_d{P}")
        sub = f"{fmt(w.before[key])} - {w.lr:g} * {fmt(w.grads[key])}"
        out.append(line(" " * len(P), sub, w.after[key]))
    if not any(np.any(g) for g in w.grads.values()):
        out.append("(every gradient is 0: nothing moves on this example; try --step K)")
    J_before = tr.J + w.penalty_value
    out.append(
        f"J on this example: {J_before:.6g} before the update, {w.J_after:.6g} after"
    )
    return "\n".join(out)


@dataclass
class _Row:
    """One node as the blocks write it: a node of the chain, or of a residual's
    inner chain (``h = x + inner(x)``: its last node shows h, ``skip`` + itself)."""

    node: Node
    step: TraceStep
    o: str  # its output's name
    a: str  # its input's name
    key: str  # its parameters' prefix: "affine0", "residual.affine1"
    first: bool  # its input is x: no dJ_dx
    value: Array  # the output shown (h for a residual's last inner node)
    skip: str | None = None  # the residual's input, added to this node's output
    around: TraceStep | None = None  # the residual's TraceStep, on its first inner node


def _rows(w: Walk, names: Names) -> list[_Row]:
    """The chain's nodes, a residual's inner nodes in its place."""
    from lingrad.core.nodes import Residual

    rows = []
    steps = zip(w.trace.steps, w.chain.nodes, strict=True)
    for i, (step, node) in enumerate(steps):
        o, a = names.out[i], names.inp[i]
        if not isinstance(node, Residual):
            rows.append(_Row(node, step, o, a, step.name, i == 0, step.output))
            continue
        inner, n = w.inner[i], len(node.inner.nodes)
        outs = _inner_names(node.inner.nodes, o)
        for k, (s, m) in enumerate(zip(inner, node.inner.nodes, strict=True)):
            rows.append(
                _Row(
                    m, s, outs[k], a if k == 0 else outs[k - 1],
                    f"{step.name}.{s.name}", i == 0 and k == 0,
                    step.output if k == n - 1 else s.output,
                    skip=a if k == n - 1 else None,
                    around=step if k == 0 and i > 0 else None,
                )
            )  # fmt: skip
    return rows


def _inner_names(nodes: list[Node], o: str) -> list[str]:
    """Outputs of a residual's inner nodes: z for an activation, zhat for the sum
    inside it, the residual's own name (h) for the last."""
    from lingrad.core.nodes import Affine

    acts = iter(["z", "u", "v", "t"])
    outs = [
        o if k == len(nodes) - 1 else ("" if isinstance(n, Affine) else next(acts))
        for k, n in enumerate(nodes)
    ]
    for k in reversed(range(len(outs))):
        outs[k] = outs[k] or outs[k + 1] + "hat"
    return outs


def _forward(r: _Row, names: Names) -> str:
    from lingrad.core.nodes import Affine

    if isinstance(r.node, Affine):
        W, b = names.p(f"{r.key}.W"), names.p(f"{r.key}.b")
        f = f"{r.a} @ {W}" + (f" + {b}" if r.node.b is not None else "")
    else:
        f = _ACT.get(type(r.node).__name__, (f"{r.node.name}(i)", ""))[0]
        f = _sub(f.split(" = ")[0] if r.skip else f, r.o, r.a)
    return f"{r.skip} + {f}" if r.skip else f


def _jacobians(r: _Row, names: Names) -> list[str]:
    from lingrad.core.nodes import Affine

    o, a, jac = r.o, r.a, r.step.jacobians
    if isinstance(r.node, Affine):
        W, b = names.p(f"{r.key}.W"), names.p(f"{r.key}.b")
        out = [line(f"d{o}_d{W}", f"{a}^T", jac["dz_dW"])]
        if "dz_db" in jac:
            out.append(line(f"d{o}_d{b}", "1", jac["dz_db"]))
        if not r.first:
            out.append(line(f"d{o}_d{a}", f"{W}^T", jac["dz_dX"]))
        return out
    f = _ACT.get(type(r.node).__name__, ("", r.step.formulas.get("dpred_dz", "")))[1]
    (value,) = jac.values()  # the skip adds x, not a function of the node's input:
    own = f"({o} - {r.skip})" if r.skip else o  # d(x + act(a))/da = act'(a)
    return [line(f"d{o}_d{a}", _sub(f, own, a), value)]


def _backprop(r: _Row, names: Names) -> list[str]:
    from lingrad.core.nodes import Affine

    o, a, step = r.o, r.a, r.step
    if not isinstance(r.node, Affine):
        op = "@" if type(r.node).__name__ == "Softmax" else "*"
        return [line(f"dJ_d{a}", f"dJ_d{o} {op} d{o}_d{a}", step.dJ_din)]
    W, b = names.p(f"{r.key}.W"), names.p(f"{r.key}.b")
    out = [line(f"dJ_d{W}", outer(a, f"dJ_d{o}"), step.grads["W"])]
    if "b" in step.grads:
        out.append(line(f"dJ_d{b}", f"dJ_d{o} * d{o}_d{b}", step.grads["b"]))
    if r.around is not None:  # x -> h directly (dh_dx = I) and through the inner
        h = names.out[names.inp.index(a)]
        f = f"dJ_d{h} + dJ_d{o} @ d{o}_d{a}   (the skip and the inner path)"
        out.append(line(f"dJ_d{a}", f, r.around.dJ_din))
    elif not r.first:
        out.append(line(f"dJ_d{a}", f"dJ_d{o} @ d{o}_d{a}", step.dJ_din))
    return out


def _rename(formula: str, sym: str) -> str:
    """A loss formula written with the model's name of its input (``pred`` -> g)."""
    return re.sub(r"\bpred\b", sym, formula) if sym != "z" else formula


def _sub(formula: str, o: str, i: str) -> str:
    """Fill the output / input names into an activation formula."""
    return re.sub(r"\bi\b", i, re.sub(r"\bo\b", o, formula))


def _same(y: np.generic, Y: Array) -> bool:
    try:
        return np.asarray(Y).size == 1 and float(np.asarray(Y).ravel()[0]) == float(y)
    except (TypeError, ValueError):
        return False
