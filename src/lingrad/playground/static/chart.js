/* lingrad playground: a small canvas chart (axes, ticks, lines, points). No libraries. */
"use strict";

const Chart = (function () {
  const INK = "#222", GRID = "#e6e6e6", FONT = "12px system-ui, sans-serif";

  function niceStep(span, n) {
    const raw = span / Math.max(n, 1);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  }

  function ticks(lo, hi, n, integer) {
    if (!(hi > lo)) { hi = lo + 1; }
    let step = niceStep(hi - lo, n);
    if (integer) { step = Math.max(1, Math.round(step)); }
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) {
      out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
    }
    return out;
  }

  function label(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) { return v.toExponential(0); }
    return String(parseFloat(v.toPrecision(4)));
  }

  function range(values, pad) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) {
      if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    if (lo === Infinity) { return [0, 1]; }
    if (hi === lo) { const d = Math.abs(lo) * 0.1 || 1; return [lo - d, hi + d]; }
    const p = (hi - lo) * (pad === undefined ? 0.06 : pad);
    return [lo - p, hi + p];
  }

  class Plot {
    constructor(canvas) {
      this.canvas = canvas;
      this.ctx = canvas.getContext("2d");
      this.m = { l: 58, r: 14, t: 12, b: 44 };
    }

    /* Size the canvas to its box (sharp on high-DPI screens) and clear it. */
    begin(xr, yr, opts) {
      const o = opts || {};
      const dpr = window.devicePixelRatio || 1;
      const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
      if (this.canvas.width !== Math.round(w * dpr)) { this.canvas.width = Math.round(w * dpr); }
      if (this.canvas.height !== Math.round(h * dpr)) { this.canvas.height = Math.round(h * dpr); }
      const c = this.ctx;
      c.setTransform(dpr, 0, 0, dpr, 0, 0);
      c.clearRect(0, 0, w, h);
      this.w = w; this.h = h;
      this.logy = !!o.logy;
      this.xr = xr;
      this.yr = this.logy ? [Math.log10(yr[0]), Math.log10(yr[1])] : yr;
      this.pw = w - this.m.l - this.m.r;
      this.ph = h - this.m.t - this.m.b;
      return this;
    }

    X(v) { return this.m.l + (v - this.xr[0]) / (this.xr[1] - this.xr[0]) * this.pw; }
    Y(v) {
      const u = this.logy ? Math.log10(Math.max(v, 1e-300)) : v;
      return this.m.t + (1 - (u - this.yr[0]) / (this.yr[1] - this.yr[0])) * this.ph;
    }

    axes(xlabel, ylabel, opts) {
      const o = opts || {}, c = this.ctx;
      c.save();
      c.font = FONT; c.fillStyle = INK; c.strokeStyle = GRID; c.lineWidth = 1;
      const xt = ticks(this.xr[0], this.xr[1], Math.max(2, this.pw / 90), o.xint);
      c.textAlign = "center"; c.textBaseline = "top";
      for (const v of xt) {
        const x = this.X(v);
        c.beginPath(); c.moveTo(x, this.m.t); c.lineTo(x, this.m.t + this.ph); c.stroke();
        c.fillText(label(v), x, this.m.t + this.ph + 4);
      }
      c.textAlign = "right"; c.textBaseline = "middle";
      if (this.logy) {
        const lo = Math.ceil(this.yr[0]), hi = Math.floor(this.yr[1]);
        const every = Math.max(1, Math.ceil((hi - lo + 1) / Math.max(2, this.ph / 40)));
        for (let e = lo; e <= hi; e += every) {
          const y = this.Y(Math.pow(10, e));
          c.beginPath(); c.moveTo(this.m.l, y); c.lineTo(this.m.l + this.pw, y); c.stroke();
          c.fillText("1e" + e, this.m.l - 5, y);
        }
      } else {
        for (const v of ticks(this.yr[0], this.yr[1], Math.max(2, this.ph / 45), o.yint)) {
          const y = this.Y(v);
          c.beginPath(); c.moveTo(this.m.l, y); c.lineTo(this.m.l + this.pw, y); c.stroke();
          c.fillText(label(v), this.m.l - 5, y);
        }
      }
      c.strokeStyle = INK;
      c.strokeRect(this.m.l, this.m.t, this.pw, this.ph);
      c.textAlign = "center"; c.textBaseline = "bottom";
      c.fillText(xlabel, this.m.l + this.pw / 2, this.h - 4);
      c.translate(14, this.m.t + this.ph / 2); c.rotate(-Math.PI / 2);
      c.textBaseline = "middle";
      c.fillText(ylabel, 0, 0);
      c.restore();
    }

    clip() {
      this.ctx.save();
      this.ctx.beginPath();
      this.ctx.rect(this.m.l, this.m.t, this.pw, this.ph);
      this.ctx.clip();
    }

    unclip() { this.ctx.restore(); }

    line(xs, ys, color, width, dash) {
      const c = this.ctx;
      c.save(); this.clip();
      c.strokeStyle = color; c.lineWidth = width || 1.5; c.setLineDash(dash || []);
      c.beginPath();
      let on = false;
      for (let i = 0; i < xs.length; i++) {
        if (ys[i] === null || !isFinite(ys[i]) || (this.logy && ys[i] <= 0)) { on = false; continue; }
        const x = this.X(xs[i]), y = this.Y(ys[i]);
        if (on) { c.lineTo(x, y); } else { c.moveTo(x, y); on = true; }
      }
      c.stroke();
      this.unclip(); c.restore();
    }

    points(xs, ys, colors, r, outline) {
      const c = this.ctx;
      c.save(); this.clip();
      for (let i = 0; i < xs.length; i++) {
        if (ys[i] === null || (this.logy && ys[i] <= 0)) { continue; }
        c.beginPath();
        c.arc(this.X(xs[i]), this.Y(ys[i]), r || 3, 0, 2 * Math.PI);
        c.fillStyle = typeof colors === "string" ? colors : colors[i];
        c.fill();
        if (outline) { c.strokeStyle = outline; c.lineWidth = 1; c.stroke(); }
      }
      this.unclip(); c.restore();
    }

    hline(v, color, dash, text) {
      this.line(this.xr, [v, v], color, 1.5, dash);
      if (text) { this.note(text, this.m.l + this.pw - 4, this.Y(v) - 3, "right", color); }
    }

    vline(x, color, text) {
      const c = this.ctx;
      c.save(); this.clip();
      c.strokeStyle = color; c.setLineDash([3, 3]);
      c.beginPath(); c.moveTo(this.X(x), this.m.t); c.lineTo(this.X(x), this.m.t + this.ph);
      c.stroke(); this.unclip(); c.restore();
      if (text) { this.note(text, this.X(x) + 3, this.m.t + 12, "left", color); }
    }

    note(text, x, y, align, color) {
      const c = this.ctx;
      c.save(); c.font = FONT; c.fillStyle = color || INK;
      c.textAlign = align || "left"; c.textBaseline = "bottom";
      c.fillText(text, x, y); c.restore();
    }

    /* An n x n image of colours, cell (i, j) at u[i], v[j] (row j bottom up). */
    image(n, u, v, rgba) {
      const img = this.ctx.createImageData(n, n);
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          const src = (j * n + i) * 4, dst = ((n - 1 - j) * n + i) * 4;
          for (let k = 0; k < 4; k++) { img.data[dst + k] = rgba[src + k]; }
        }
      }
      const off = document.createElement("canvas");
      off.width = n; off.height = n;
      off.getContext("2d").putImageData(img, 0, 0);
      const c = this.ctx;
      c.save(); this.clip();
      c.imageSmoothingEnabled = true;
      const x0 = this.X(u[0]), x1 = this.X(u[1]), y0 = this.Y(v[1]), y1 = this.Y(v[0]);
      c.drawImage(off, x0, y0, x1 - x0, y1 - y0);
      this.unclip(); c.restore();
    }
  }

  return { Plot: Plot, range: range, label: label };
})();
