/* lingrad playground: the panels drawn from the client state (see playground.js). */
"use strict";

const Panels = (function () {
  const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const FIT = "#d62728", TRUTH = "#222", DATA = "#1f77b4";

  function entryColor(i) { return TAB10[i % TAB10.length]; }
  function hexRgb(h) { return [1, 3, 5].map(function (i) { return parseInt(h.substr(i, 2), 16); }); }

  function legend(el, items) {
    el.innerHTML = "";
    for (const it of items) {
      const s = document.createElement("span");
      s.className = "key";
      if (it.kind === "note") {  // a line of words under the keys: what is drawn
        s.className = "key note";
        s.textContent = it.text;
        el.appendChild(s);
        continue;
      }
      const sw = document.createElement("i");
      sw.className = "swatch " + (it.kind || "line");
      sw.style.setProperty("--c", it.color);
      s.appendChild(sw);
      s.appendChild(document.createTextNode(it.text));
      el.appendChild(s);
    }
  }

  function empty(plot, text) {
    plot.begin([0, 1], [0, 1]);
    plot.note(text, plot.w / 2, plot.h / 2, "center", "#666");
  }

  function fit(plot, f, legendEl) {
    if (!f || f.kind === "none") { empty(plot, "no model yet"); legend(legendEl, []); return; }
    if (f.kind === "line") {
      const xr = Chart.range(f.x), yr = Chart.range(f.y.concat(f.truth || []));
      plot.begin(xr, yr).axes(f.xlabel, f.ylabel);
      plot.points(f.x, f.y, DATA, 3);
      if (f.truth) { plot.line(f.ends, f.truth, TRUTH, 1.5, [6, 4]); }
      plot.line(f.ends, f.line, FIT, 2.5);
      const items = [{ text: "data", color: DATA, kind: "dot" }, { text: "the fit now", color: FIT }];
      if (f.truth) { items.push({ text: "the truth", color: TRUTH, kind: "dash" }); }
      legend(legendEl, items);
    } else if (f.kind === "parity") {
      const r = Chart.range(f.y.concat(f.pred));
      plot.begin(r, r).axes(f.xlabel, f.ylabel);
      plot.line(r, r, TRUTH, 1.2, [6, 4]);
      plot.points(f.y, f.pred, DATA, 3);
      legend(legendEl, [{ text: "training rows", color: DATA, kind: "dot" },
        { text: "pred = y (a perfect fit)", color: TRUTH, kind: "dash" }]);
    } else if (f.kind === "curve") {
      const K = f.classes.length, top = Math.max(1, K - 1), colors = f.colors;
      const xr = Chart.range(f.xs, 0);
      plot.begin(xr, [-0.08 * top, 1.08 * top]).axes(f.xlabel, f.ylabel, { yint: top > 1 });
      const jitter = f.x.map(function (_, i) { return 0.03 * top * (((i * 7919) % 11) / 10 - 0.5); });
      plot.points(f.x, f.y.map(function (c, i) { return c + jitter[i]; }),
        f.y.map(function (c) { return colors[c % colors.length]; }), 3);
      if (top === 1) { plot.hline(0.5, "#888", [4, 4]); }
      plot.line(f.xs, f.out, FIT, 2.5);
      const items = f.classes.map(function (c, k) { return { text: "y = " + c, color: colors[k % colors.length], kind: "dot" }; });
      items.push({ text: f.ylabel + " now", color: FIT });
      legend(legendEl, items);
    } else if (f.kind === "regions") {
      regions(plot, f, legendEl);
    }
  }

  function regions(plot, f, legendEl) {
    const K = f.classes.length, colors = f.colors.map(hexRgb);
    plot.begin(f.u, f.v).axes(f.xlabel, f.ylabel);
    const rgba = new Uint8ClampedArray(f.n * f.n * 4);
    for (let g = 0; g < f.n * f.n; g++) {
      const c = colors[f.cls[g] % colors.length];
      const sure = f.has_proba ? Math.max(0, (f.conf[g] - 1 / K) / (1 - 1 / K)) : 1;
      rgba.set([c[0], c[1], c[2], Math.round(255 * (0.12 + 0.43 * sure))], 4 * g);
    }
    plot.image(f.n, f.u, f.v, rgba);
    const hex = f.colors;
    plot.points(f.points.u, f.points.v, f.points.c.map(function (c) { return hex[c % hex.length]; }), 3.2, "#fff");
    const items = f.classes.map(function (c, k) { return { text: "class " + c, color: hex[k % hex.length], kind: "dot" }; });
    items.push({ text: f.has_proba ? "region: predicted class (paler = less sure)" : "region: predicted class", color: "#bbb", kind: "box" });
    if (f.note) { items.push({ text: f.note, kind: "note" }); }
    legend(legendEl, items);
  }

  function loss(plot, st, logy, legendEl) {
    const s = st.steps, e = st.epochs;
    if (!s.t.length) {
      const solved = !st.iterative && st.fit && st.fit.kind !== "none";
      empty(plot, st.iterative ? "press Step or Play" : solved ? "solved in one go: no steps to draw" : "press Solve");
      legend(legendEl, []);
      return;
    }
    const xr = [0, Math.max(s.t[s.t.length - 1] + 1, 1)];
    const ys = s.J.concat(e.J).filter(function (v) { return v !== null; });
    let Jopt = st.optimum && st.optimum.J;
    if (Jopt === undefined || Jopt === null || !isFinite(Jopt)) { Jopt = null; }
    const pos = ys.filter(function (v) { return v > 0; });
    const useLog = logy && pos.length > 0;  // a J of exactly 0 is left out of a log axis
    let yr;
    let far = false;  // the optimum's J lies far below the curve: not on the axis
    if (useLog) {
      const lo = Math.min.apply(null, pos), hi = Math.max.apply(null, pos);
      far = Jopt !== null && Jopt < lo / 1e3;
      const bottom = Jopt !== null && !far ? Math.min(lo, Jopt) : lo;
      yr = [bottom / 1.5, Math.max(hi * 1.5, bottom * 15)];
    } else {
      yr = Chart.range(Jopt === null ? ys : ys.concat([Jopt]));
    }
    const h = st.header || {};
    const ylabel = (h.loss_label || "J") + (useLog ? " (log scale)" : "");
    plot.begin(xr, yr, { logy: useLog }).axes(h.step_axis || "step", ylabel, { xint: true });
    plot.line(s.t, s.J, "#9ecae1", 1.2);
    if (e.end.length) {
      plot.line(e.end, e.J, "#08519c", 2.2);
      plot.points(e.end, e.J, "#08519c", 3);
    }
    const items = [{ text: h.step_curve || "J per step", color: "#9ecae1" }];
    if (e.end.length) { items.push({ text: "mean J per epoch", color: "#08519c" }); }
    if (Jopt !== null && !far && (!useLog || Jopt > 0)) {
      plot.hline(Jopt, "#2ca02c", [6, 4]);
      items.push({ text: "J at the exact optimum (" + Chart.label(Jopt) + ")", color: "#2ca02c", kind: "dash" });
    } else if (Jopt !== null) {
      items.push({ text: "J at the exact optimum: " + Jopt.toExponential(1) + " (far below)", color: "#2ca02c", kind: "dash" });
    }
    for (const ev of st.events) { plot.vline(ev.t, "#b15928", ev.text); }
    legend(legendEl, items);
  }

  function params(plot, st, legendEl) {
    const tr = st.traj, p = st.params;
    if (!p || !tr.t.length) { empty(plot, "no parameters yet"); legend(legendEl, []); return; }
    const n = p.names.length;
    let all = [];
    for (const v of tr.values) { all = all.concat(v); }
    if (p.truth) { all = all.concat(p.truth); }
    if (p.optimum) { all = all.concat(p.optimum); }
    const xr = [tr.t[0], Math.max(tr.t[tr.t.length - 1], tr.t[0] + 1)];
    plot.begin(xr, Chart.range(all)).axes("step t", p.small ? "parameter value" : "size of each parameter ‖·‖", { xint: true });
    for (let i = 0; i < n; i++) {
      const c = entryColor(i);
      if (p.truth) { plot.line(xr, [p.truth[i], p.truth[i]], c, 1.2, [6, 4]); }
      if (p.optimum) { plot.line(xr, [p.optimum[i], p.optimum[i]], c, 1.2, [1, 3]); }
      plot.line(tr.t, tr.values.map(function (v) { return v[i]; }), c, 2);
      plot.points([tr.t[tr.t.length - 1]], [tr.values[tr.values.length - 1][i]], c, 3);
    }
    const items = [{ text: p.small ? "now (solid)" : "‖W‖ = sqrt(sum of squares), one line per parameter", color: "#444" }];
    if (p.truth) { items.push({ text: "truth (dashed)", color: "#444", kind: "dash" }); }
    if (p.optimum) { items.push({ text: "exact optimum (dotted)", color: "#444", kind: "dot-line" }); }
    legend(legendEl, items);
  }

  function metric(plot, st, legendEl) {
    const m = st.metricHist;
    if (!m.t.length) { empty(plot, "no model yet"); legend(legendEl, []); return; }
    const name = st.header ? st.header.metric : "";
    const lo = name === "accuracy" ? 0 : Math.min(0, Math.min.apply(null, m.v.filter(function (v) { return v !== null; })));
    const xr = [m.t[0], Math.max(m.t[m.t.length - 1], m.t[0] + 1)];
    plot.begin(xr, [lo, 1.02]).axes("step t", name + " on the training data", { xint: true });
    plot.line(m.t, m.v, "#6a3d9a", 2);
    plot.points([m.t[m.t.length - 1]], [m.v[m.v.length - 1]], "#6a3d9a", 3);
    const items = [{ text: name + " of the model after step t", color: "#6a3d9a" }];
    const e = st.epochs;
    if (name === "accuracy" && e.accuracy.some(function (v) { return v !== null; })) {
      plot.points(e.end, e.accuracy, "#ff7f00", 3);
      items.push({ text: "share right during each epoch (before each update)", color: "#ff7f00", kind: "dot" });
    }
    legend(legendEl, items);
  }

  return { fit: fit, loss: loss, params: params, metric: metric, entryColor: entryColor };
})();
