/* lingrad.Playground: the playground page's panels (Chart, Panels above) in a
   notebook widget. The kernel sends the page's frames as custom messages; the
   buttons and fields send commands back. */

const MAX_POINTS = 4000;
const TEMPLATE = `
<nav class="lg-transport">
  <button class="lg-play primary">▶ Play</button>
  <button class="lg-pause" disabled>❚❚ Pause</button>
  <button class="lg-step">Step</button>
  <button class="lg-step10">Step ×10</button>
  <button class="lg-reset">↺ Reset</button>
  <span class="lg-status">step <b data-status="t">0</b> · epoch <b data-status="epoch">0</b> ·
    J of the last step <b data-status="J">—</b> · lr <b data-status="lr">—</b> ·
    batch <b data-status="batch">—</b> · <span data-status="metric-name">score</span>
    <b data-status="metric">—</b></span>
</nav>
<div class="lg-fields">
  <label>lr <input type="text" data-field="lr" data-kind="live"></label>
  <label>batch size <input type="text" data-field="batch_size" data-kind="live"></label>
  <label>solver <select data-field="solver"></select></label>
  <label>schedule <select data-field="schedule"></select></label>
  <label>optimizer <select data-field="optimizer"></select></label>
  <label>speed <select data-field="speed" data-kind="live"></select></label>
</div>
<div class="lg-msg" role="alert"></div>
<p class="lg-about"></p>
<div class="lg-panels">
  <figure><figcaption>The data and the fit now</figcaption><canvas data-plot="fit"></canvas><div class="lg-legend" data-legend="fit"></div></figure>
  <figure><figcaption>The loss J <label class="lg-small"><input type="checkbox" class="lg-logy" checked> log scale</label></figcaption><canvas data-plot="loss"></canvas><div class="lg-legend" data-legend="loss"></div></figure>
  <figure><figcaption>The parameters against the exact optimum</figcaption><canvas data-plot="params"></canvas><div class="lg-legend" data-legend="params"></div>
    <table class="lg-params"><thead><tr><th>name</th><th>now</th><th>optimum</th></tr></thead><tbody></tbody></table><p class="lg-hint lg-optimum"></p></figure>
  <figure><figcaption>How good the model is now</figcaption><canvas data-plot="metric"></canvas><div class="lg-legend" data-legend="metric"></div></figure>
</div>
<section class="lg-step-panel" data-t="-1">
  <h2>The last step, as <code>lingrad explain</code> writes it</h2>
  <pre class="lg-step-head">Press Step: the step appears here as lingrad explain writes it.</pre>
  <div class="lg-blocks"></div>
</section>`;

function halve(a) {
  const out = [];
  for (let i = 0; i + 1 < a.length; i += 2) { out.push(a[i + 1]); }
  return out;
}

function append(into, from, keys) {
  for (const k of keys) { Array.prototype.push.apply(into[k], from[k]); }
  if (into[keys[0]].length > MAX_POINTS) {
    for (const k of keys) { into[k] = halve(into[k]); }
  }
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "lingrad-pg";
  root.innerHTML = TEMPLATE;
  el.appendChild(root);
  const $ = function (sel) { return root.querySelector(sel); };
  const st = {};
  const plots = {};

  function clear() {
    st.steps = { t: [], J: [] };
    st.epochs = { end: [], J: [], accuracy: [] };
    st.traj = { t: [], values: [] };
    st.metricHist = { t: [], v: [] };
    st.events = []; st.optimum = null; st.params = null; st.fit = null;
  }

  function option(select, value) {
    const o = document.createElement("option");
    o.value = value; o.textContent = value; select.appendChild(o);
  }

  function fillOptions(opts) {
    for (const [field, list] of [["solver", opts.solvers], ["schedule", opts.schedules],
      ["optimizer", opts.optimizers], ["speed", opts.speeds]]) {
      const s = $('[data-field="' + field + '"]');
      s.innerHTML = "";
      for (const v of list || []) { option(s, v); }
    }
  }

  function fill(settings) {
    for (const input of root.querySelectorAll("[data-field]")) {
      const key = input.dataset.field;
      if (key in settings && !input.classList.contains("bad")) { input.value = settings[key]; }
    }
    st.iterative = settings.iterative;
    $(".lg-fields label:nth-child(2)").hidden = settings.solver !== "minibatch";
  }

  function showErrors(errors) {
    const msg = $(".lg-msg");
    msg.textContent = Object.entries(errors || {}).map(function (e) { return e[0] + ": " + e[1]; }).join("; ");
    for (const field of Object.keys(errors || {})) {
      const input = $('[data-field="' + field + '"]');
      if (input) { input.classList.add("bad"); }
    }
  }

  function send(msg) {
    $(".lg-msg").textContent = "";
    for (const b of root.querySelectorAll(".bad")) { b.classList.remove("bad"); }
    model.send(msg);
  }

  function status(s) {
    st.events = s.events;
    const set = function (k, v) { $('[data-status="' + k + '"]').textContent = v; };
    set("t", s.t); set("epoch", s.epoch);
    set("J", s.J === null ? "—" : Number(s.J.toPrecision(6)));
    set("lr", s.lr === null ? "—" : Number(s.lr.toPrecision(6)));
    set("batch", s.batch === null ? "—" : s.batch);
    $(".lg-play").disabled = s.playing; $(".lg-pause").disabled = !s.playing;
    root.dataset.t = s.t;
    root.dataset.playing = s.playing ? "1" : "0";
    if (s.message && s.message.run) { $(".lg-msg").textContent = s.message.run; }
  }

  function paramTable(p) {
    const body = $(".lg-params tbody");
    body.innerHTML = "";
    const cell = function (v) { return v === null || v === undefined ? "—" : String(v); };
    p.names.forEach(function (name, i) {
      const tr = document.createElement("tr");
      for (const text of [name, cell(p.values[i]), cell(p.optimum ? p.optimum[i] : null)]) {
        const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      }
      tr.children[0].style.color = Panels.entryColor(i);
      tr.children[1].className = "num param-value"; tr.children[1].dataset.name = name;
      body.appendChild(tr);
    });
    $(".lg-optimum").textContent = p.optimum_how ? "exact optimum: " + p.optimum_how : "";
  }

  function stepPanel(sp, t) {
    const box = $(".lg-blocks");
    box.innerHTML = "";
    $(".lg-step-panel").dataset.t = t;
    if (!sp) { $(".lg-step-head").textContent = "Press Step: the step appears here as lingrad explain writes it."; return; }
    $(".lg-step-head").textContent = sp.head || sp.text;
    for (const b of sp.blocks || []) {
      const sec = document.createElement("section");
      sec.className = "block"; sec.dataset.title = b.title;
      const h = document.createElement("h4"); h.textContent = "# " + b.title;
      const pre = document.createElement("pre"); pre.textContent = b.text;
      sec.appendChild(h); sec.appendChild(pre); box.appendChild(sec);
    }
  }

  function draw() {
    if (!root.isConnected || !root.clientWidth) { return; }
    if (!plots.fit) {
      for (const k of ["fit", "loss", "params", "metric"]) { plots[k] = new Chart.Plot($('[data-plot="' + k + '"]')); }
    }
    const legend = function (k) { return $('[data-legend="' + k + '"]'); };
    Panels.fit(plots.fit, st.fit, legend("fit"));
    Panels.loss(plots.loss, st, $(".lg-logy").checked, legend("loss"));
    Panels.params(plots.params, st, legend("params"));
    Panels.metric(plots.metric, st, legend("metric"));
  }

  function onFrame(f) {
    if (f.reset) {
      clear();
      st.header = f.reset;
      fill(f.reset.settings);
      $(".lg-about").textContent = f.reset.model + " · " + f.reset.data + " · " + f.reset.init;
      $('[data-status="metric-name"]').textContent = f.reset.metric;
      $(".lg-logy").checked = !/perceptron/.test(f.reset.loss_label);
    }
    if (f.steps) { append(st.steps, f.steps, ["t", "J"]); }
    if (f.epochs) { append(st.epochs, f.epochs, ["end", "J", "accuracy"]); }
    if (f.trajectory_reset) { st.traj = { t: [], values: [] }; }
    if (f.trajectory) { append(st.traj, f.trajectory, ["t", "values"]); }
    if (f.optimum) { st.optimum = f.optimum; }
    if (f.fit) { st.fit = f.fit; }
    if (f.params) { st.params = f.params; paramTable(f.params); }
    if (f.metrics && f.metrics.name) {
      append(st.metricHist, { t: [f.status.t], v: [f.metrics.value] }, ["t", "v"]);
      $('[data-status="metric"]').textContent = f.metrics.value === null ? "—" : f.metrics.value.toFixed(4);
    }
    if (f.step_panel !== undefined) { stepPanel(f.step_panel, f.status.t); }
    if (f.status) { status(f.status); }
    draw();
    root.dataset.ready = "1";
  }

  clear();
  fillOptions(model.get("options") || {});
  model.on("change:options", function () { fillOptions(model.get("options") || {}); });
  const onMsg = function (msg) {
    if (msg.type === "frame") { onFrame(JSON.parse(msg.frame)); }
    else if (msg.type === "errors") { showErrors(msg.errors); }
  };
  model.on("msg:custom", onMsg);
  $(".lg-play").addEventListener("click", function () { send({ type: "play" }); });
  $(".lg-pause").addEventListener("click", function () { send({ type: "pause" }); });
  $(".lg-step").addEventListener("click", function () { send({ type: "step", n: 1 }); });
  $(".lg-step10").addEventListener("click", function () { send({ type: "step", n: 10 }); });
  $(".lg-reset").addEventListener("click", function () { send({ type: "reset" }); });
  $(".lg-logy").addEventListener("change", draw);
  for (const input of root.querySelectorAll("[data-field]")) {
    input.addEventListener("change", function () {
      const values = {}; values[input.dataset.field] = input.value;
      send({ type: "set", values: values });
    });
  }
  const observer = new ResizeObserver(function () { draw(); });
  observer.observe(root);
  model.send({ type: "hello" });
  return function () { observer.disconnect(); model.off("msg:custom", onMsg); };
}

export default { render };
