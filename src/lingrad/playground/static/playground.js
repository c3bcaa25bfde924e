/* lingrad playground: the controls, the event stream and the client's record. */
"use strict";

(function () {
  const TOKEN = document.querySelector('meta[name="lingrad-token"]').content;
  const PRESET = document.querySelector('meta[name="lingrad-preset"]').content;
  const MAX_POINTS = 4000;
  const $ = function (sel) { return document.querySelector(sel); };
  const st = {};
  let session = null, options = null, source = null;

  function clear() {
    st.steps = { t: [], J: [] };
    st.epochs = { end: [], J: [], accuracy: [] };
    st.traj = { t: [], values: [] };
    st.metricHist = { t: [], v: [] };
    st.events = []; st.optimum = null; st.params = null; st.fit = null;
  }

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

  /* ---- requests ---------------------------------------------------------- */
  async function post(path, body, headers) {
    const h = Object.assign({ "X-Lingrad-Token": TOKEN }, headers || {});
    if (!(body instanceof ArrayBuffer)) { h["Content-Type"] = "application/json"; }
    const r = await fetch(path, { method: "POST", headers: h,
      body: body instanceof ArrayBuffer ? body : JSON.stringify(body || {}) });
    let doc;
    try { doc = await r.json(); } catch (e) { doc = { ok: false, errors: { run: "HTTP " + r.status } }; }
    return doc;
  }

  async function act(action, body) {
    busy(true);
    const doc = await post("/api/session/" + session + "/" + action, body);
    busy(false);
    if (!doc.ok) { showErrors(doc.errors); return null; }
    clearErrors(body ? Object.keys(body) : []);
    if (doc.settings) { fill(doc.settings); }
    return doc;
  }

  function busy(on) { document.body.classList.toggle("busy", on); }

  /* ---- inline messages ---------------------------------------------------- */
  function showErrors(errors) {
    for (const [field, text] of Object.entries(errors || {})) {
      const el = document.querySelector('[data-msg="' + field + '"]') || $("#msg-run");
      el.textContent = text;
      el.classList.add("shown");
      const input = document.querySelector('[data-field="' + field + '"]');
      if (input) { input.classList.add("bad"); input.setAttribute("aria-invalid", "true"); }
    }
  }

  function clearErrors(fields) {
    const all = fields.length === 0;
    document.querySelectorAll(".msg.shown").forEach(function (el) {
      if (all || fields.indexOf(el.dataset.msg) >= 0 || el.id === "msg-run") {
        el.textContent = ""; el.classList.remove("shown");
      }
    });
    document.querySelectorAll(".bad").forEach(function (el) {
      if (all || fields.indexOf(el.dataset.field) >= 0) {
        el.classList.remove("bad"); el.removeAttribute("aria-invalid");
      }
    });
  }

  /* ---- the form ------------------------------------------------------------ */
  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value; o.textContent = text; select.appendChild(o);
  }

  function build() {
    const p = $("#preset");
    option(p, "", "— your own settings —");
    for (const it of options.presets) { option(p, it.value, it.value); }
    const d = $("#data");
    const groups = [["lecture generators", options.generators], ["scikit-learn data sets", options.sklearn]];
    for (const [label, items] of groups) {
      const g = document.createElement("optgroup"); g.label = label;
      for (const it of items) { option(g, it.value, it.text.length > 70 ? it.text.slice(0, 68) + "…" : it.text); }
      d.appendChild(g);
    }
    const g = document.createElement("optgroup"); g.label = "your data";
    option(g, "upload", "an uploaded CSV (up to " + options.upload_mib + " MiB)"); d.appendChild(g);
    for (const m of options.models) { option($("#model"), m.value, m.value + " — " + m.text); }
    for (const [id, list] of [["#schedule", options.schedules], ["#optimizer", options.optimizers],
      ["#penalty", options.penalties], ["#speed", options.speeds]]) {
      for (const v of list) { option($(id), v, id === "#speed" ? (v === "max" ? "as fast as it goes" : v + " steps / s") : v); }
    }
    $("#upload-limit").textContent = options.upload_mib + " MiB";
  }

  function genFields(settings) {
    const box = $("#gen-params");
    box.innerHTML = "";
    const gen = options.generators.find(function (g) { return g.value === settings.data; });
    if (!gen) { return; }
    for (const key of Object.keys(gen.params)) {
      const row = document.createElement("label");
      row.className = "field";
      row.innerHTML = "<span></span><input type=\"text\" inputmode=\"decimal\"><div class=\"msg\"></div>";
      row.querySelector("span").textContent = key;
      const input = row.querySelector("input");
      input.dataset.field = "gen." + key; input.dataset.kind = "configure";
      input.value = settings["gen." + key];
      row.querySelector(".msg").dataset.msg = "gen." + key;
      box.appendChild(row);
      hook(input);
    }
  }

  function fill(settings) {
    st.settings = settings;
    for (const input of document.querySelectorAll("[data-field]")) {
      const key = input.dataset.field;
      // a field being typed in (focused) keeps what the learner is typing
      if (!(key in settings) || input.classList.contains("bad") || input.type === "file" || input === document.activeElement) { continue; }
      if (input.type === "checkbox") { input.checked = !!settings[key]; } else { input.value = settings[key] === null ? "" : settings[key]; }
    }
    if ($("#gen-params").dataset.data !== settings.data) {
      $("#gen-params").dataset.data = settings.data;
      genFields(settings);
    }
    const model = options.models.find(function (m) { return m.value === settings.model; });
    const solver = $("#solver"); solver.innerHTML = "";
    for (const s of model.solvers) { option(solver, s, s + ({ sgd: " (one example per step)", minibatch: " (m examples per step)", batch: " (all examples per step)", normal: " (closed form)", lbfgs: " (quasi-Newton)", newton: " (Newton)" })[s]); }
    solver.value = settings.solver;
    $("#equation").textContent = model.equation;
    document.body.dataset.model = settings.model;
    $("#row-hidden").hidden = ["two-layer", "residual"].indexOf(settings.model) < 0;
    const loss = $("#loss"); loss.innerHTML = "";
    for (const l of model.losses) { option(loss, l.value, l.text); }
    loss.value = settings.loss;
    $("#row-loss").hidden = model.losses.length < 2;
    $("#row-batch").hidden = settings.solver !== "minibatch";
    $("#row-alpha").hidden = settings.penalty === "none";
    $("#upload-row").hidden = settings.data !== "upload";
    $("#gen-params").hidden = settings.data === "upload";
    const it = settings.iterative;
    $("#step").textContent = it ? "Step" : "Solve";
    $("#step10").hidden = !it;
    st.iterative = it;
    $("#preset-text").textContent = settings.preset
      ? (options.presets.find(function (p) { return p.value === settings.preset; }) || {}).text || ""
      : "changed from preset " + settings.started_from + "; choose a preset to start over";
  }

  function hook(input) {
    const send = function () {
      const body = {};
      body[input.dataset.field] = input.type === "checkbox" ? input.checked : input.value;
      if (input.id === "data" && input.value === "upload") {
        $("#upload-row").hidden = false;  // the run changes once a target is chosen
        $("#gen-params").hidden = true;
        return;
      }
      if (input.id === "target") { body.data = "upload"; }
      if (input.dataset.kind === "live") { act("set", body); } else { act("configure", body); }
    };
    input.addEventListener("change", send);
    if (input.tagName === "INPUT" && input.type === "text") {
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); input.blur(); } });
    }
  }

  async function upload(file) {
    clearErrors(["upload", "target"]);
    const body = await file.arrayBuffer();
    busy(true);
    const doc = await post("/api/session/" + session + "/upload", body,
      { "Content-Type": "text/csv", "X-Filename": file.name });
    busy(false);
    if (!doc.ok) { showErrors(doc.errors); return; }
    const t = $("#target"); t.innerHTML = "";
    option(t, "", "choose the target column…");
    for (const c of doc.columns) { option(t, c, c); }
    $("#upload-name").textContent = doc.name + ": " + doc.columns.length + " columns";
  }

  /* ---- frames --------------------------------------------------------------- */
  function onFrame(f) {
    if (f.reset) {
      clear();
      st.header = f.reset;
      fill(f.reset.settings);
      $("#about-model").textContent = f.reset.model;
      $("#about-data").textContent = f.reset.data + " — " + f.reset.rows + " rows, " + f.reset.features + " feature" + (f.reset.features === 1 ? "" : "s");
      $("#about-init").textContent = f.reset.init;
      $("#metric-name").textContent = f.reset.metric;
      $("#row-init").hidden = !f.reset.lecture_init;
      $("#logy").checked = !/perceptron/.test(f.reset.loss_label);  // its J is often 0
    }
    if (f.steps) {
      append(st.steps, f.steps, ["t", "J"]);
    }
    if (f.epochs) { append(st.epochs, f.epochs, ["end", "J", "accuracy"]); }
    if (f.trajectory_reset) { st.traj = { t: [], values: [] }; }
    if (f.trajectory) { append(st.traj, f.trajectory, ["t", "values"]); }
    if (f.optimum) { st.optimum = f.optimum; }
    if (f.fit) { st.fit = f.fit; }
    if (f.params) { st.params = f.params; paramTable(f.params, f.status.t); }
    if (f.metrics && f.metrics.name) {
      append(st.metricHist, { t: [f.status.t], v: [f.metrics.value] }, ["t", "v"]);
      $("#metric-value").textContent = f.metrics.value === null ? "—" : f.metrics.value.toFixed(4);
    }
    if (f.step_panel !== undefined) { stepPanel(f.step_panel, f.status.t); }
    if (f.status) { status(f.status); }
    draw();
    document.body.dataset.ready = "1";
  }

  function status(s) {
    st.events = s.events;
    $("#status-t").textContent = s.t;
    $("#status-epoch").textContent = s.epoch;
    $("#status-J").textContent = s.J === null ? "—" : Number(s.J.toPrecision(6));
    $("#status-lr").textContent = s.lr === null ? "—" : Number(s.lr.toPrecision(6));
    $("#status-batch").textContent = s.batch === null ? "—" : s.batch;
    $("#play").disabled = s.playing; $("#pause").disabled = !s.playing;
    document.body.dataset.playing = s.playing ? "1" : "0";
    $("#solving").hidden = !s.solving;
    document.body.dataset.t = s.t;
    const run = $("#msg-run");
    if (s.message && s.message.run) { run.textContent = s.message.run; run.classList.add("shown"); }
  }

  function paramTable(p, t) {
    const body = $("#param-rows");
    body.innerHTML = "";
    const cells = function (v) { return v === null || v === undefined ? "—" : String(v); };
    p.names.forEach(function (name, i) {
      const tr = document.createElement("tr");
      tr.innerHTML = "<td><i class=\"swatch line\"></i></td><td class=\"name\"></td><td class=\"num param-value\"></td><td class=\"num\"></td><td class=\"num\"></td>";
      tr.querySelector(".swatch").style.setProperty("--c", Panels.entryColor(i));
      tr.querySelector(".name").textContent = name;
      const v = tr.querySelector(".param-value");
      v.textContent = cells(p.values[i]); v.dataset.name = name;
      tr.children[3].textContent = cells(p.truth ? p.truth[i] : null);
      tr.children[4].textContent = cells(p.optimum ? p.optimum[i] : null);
      body.appendChild(tr);
    });
    $("#param-table").dataset.t = t;
    $("#optimum-how").textContent = (p.optimum_how ? "exact optimum: " + p.optimum_how + ". " : "") + (p.truth_note ? "Truth: " + p.truth_note + "." : "");
  }

  function stepPanel(sp, t) {
    const box = $("#step-blocks");
    box.innerHTML = "";
    $("#step-panel").dataset.t = t;
    if (!sp) { $("#step-head").textContent = "Press Step: the step appears here as lingrad explain writes it."; return; }
    $("#step-head").textContent = sp.head || sp.text;
    for (const b of sp.blocks || []) {
      const sec = document.createElement("section");
      sec.className = "block"; sec.dataset.title = b.title;
      const h = document.createElement("h4"); h.textContent = "# " + b.title;
      const pre = document.createElement("pre"); pre.textContent = b.text;
      sec.appendChild(h); sec.appendChild(pre); box.appendChild(sec);
    }
  }

  const plots = {};
  function draw() {
    if (!plots.fit) {
      for (const k of ["fit", "loss", "params", "metric"]) { plots[k] = new Chart.Plot($("#plot-" + k)); }
    }
    Panels.fit(plots.fit, st.fit, $("#legend-fit"));
    Panels.loss(plots.loss, st, $("#logy").checked, $("#legend-loss"));
    Panels.params(plots.params, st, $("#legend-params"));
    Panels.metric(plots.metric, st, $("#legend-metric"));
  }

  function listen() {
    if (source) { source.close(); }
    source = new EventSource("/api/events?session=" + session + "&token=" + encodeURIComponent(TOKEN));
    source.onmessage = function (e) { onFrame(JSON.parse(e.data)); $("#conn").className = "on"; };
    source.onerror = function () { $("#conn").className = "off"; };
  }

  async function start() {
    clear();
    const doc = await post("/api/session", { preset: PRESET });
    if (!doc.ok) { showErrors(doc.errors); return; }
    session = doc.session; options = doc.options;
    document.body.dataset.session = session;
    build();
    for (const input of document.querySelectorAll("[data-field]")) {
      if (input.type !== "file" && input.id !== "preset") { hook(input); }
    }
    $("#preset").addEventListener("change", function () {
      if ($("#preset").value) { act("configure", { preset: $("#preset").value }); }
    });
    $("#play").addEventListener("click", function () { act("play"); });
    $("#pause").addEventListener("click", function () { act("pause"); });
    $("#step").addEventListener("click", function () { act("step", { n: 1 }); });
    $("#step10").addEventListener("click", function () { act("step", { n: 10 }); });
    $("#reset").addEventListener("click", function () { act("reset"); });
    $("#logy").addEventListener("change", draw);
    $("#upload").addEventListener("change", function () { if (this.files[0]) { upload(this.files[0]); } });
    $("#export").addEventListener("click", async function () {
      $("#export-result").textContent = "writing the report…";
      const r = await act("export");
      if (!r) { $("#export-result").textContent = ""; return; }
      const a = document.createElement("a");
      a.href = r.report + "?token=" + encodeURIComponent(TOKEN); a.target = "_blank"; a.textContent = "open report.html";
      $("#export-result").textContent = "wrote " + r.files.join(", ") + " to " + r.folder + " — ";
      $("#export-result").appendChild(a);
    });
    window.addEventListener("resize", draw);
    listen();
  }

  start();
})();
