// initlab serve: the live page. Every change posts the network to /api/run
// (the body of `initlab run --config`) and redraws from its report.json.
"use strict";

const COLORS = ["#1f5fbf", "#d9730d"];
const THEORY = "#c81e1e";
const MAX_PANELS = 10; // histogram columns; deeper networks show evenly spaced layers

const PRESETS = {
  1: { depth: 5, width: 100, batch: 1000, seed: 100,
       arms: [["normal", { std: 1 }, "sigmoid"], ["normal", { std: 0.01 }, "sigmoid"]] },
  2: { depth: 5, width: 100, batch: 1000, seed: 100,
       arms: [["lecture_xavier", {}, "sigmoid"], ["lecture_xavier", {}, "relu"]] },
  3: { depth: 5, width: 100, batch: 1000, seed: 100,
       arms: [["lecture_he", {}, "relu"], ["lecture_xavier", {}, "relu"]] },
};

// What each exercise shows (the lecture's lesson, in a sentence)
const LESSONS = {
  1: "N(0,1) weights saturate the sigmoid: activations pile at 0 and 1, so gradients vanish. " +
     "N(0,0.01²) collapses them to 0.5: every unit alike. Neither scale fits the layer's width.",
  2: "Xavier's std 1/√n keeps the sigmoid's activations spread in every layer; with ReLU, " +
     "which zeroes half its inputs, the same std halves the variance at every layer.",
  3: "He's std √(2/n) restores what ReLU halves: the same spread in every layer, " +
     "where Xavier + ReLU shrinks by √2 a layer.",
};

const $ = (id) => document.getElementById(id);
let catalogue = null;       // GET /api/list
let last = null;            // {body, text, report, serverMs}
let inFlight = false, queued = false, timer = 0, runs = 0;

// ---- controls ----

function option(select, value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  select.appendChild(o);
}

// A select of registry entries with a parameter block under it.
function specControl(prefix, label, entries, allowNone) {
  const wrap = document.createElement("div");
  const lab = document.createElement("label");
  lab.textContent = label + " ";
  const sel = document.createElement("select");
  sel.id = prefix;
  if (allowNone) option(sel, "", "none");
  for (const e of entries) option(sel, e.name, e.name);
  lab.appendChild(sel);
  const formula = document.createElement("div");
  formula.className = "formula";
  const params = document.createElement("div");
  params.className = "params";
  params.id = prefix + "-params";
  wrap.append(lab, formula, params);
  sel.addEventListener("change", () => { fillParams(prefix, entries, {}); schedule(); });
  return wrap;
}

function entryOf(entries, name) {
  return entries.find((e) => e.name === name) || null;
}

function fillParams(prefix, entries, values) {
  const sel = $(prefix), box = $(prefix + "-params");
  const e = entryOf(entries, sel.value);
  box.textContent = "";
  sel.parentElement.nextElementSibling.textContent = e ? e.formula : "";
  if (!e) return;
  for (const p of e.params) {
    const lab = document.createElement("label");
    lab.textContent = p.name + " ";
    lab.title = p.help;
    let input;
    if (p.kind === "choice") {
      input = document.createElement("select");
      for (const c of p.choices) option(input, c, c);
      input.value = p.name in values ? values[p.name] : p.default;
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.inputMode = "decimal";
      input.value = p.name in values ? String(values[p.name]) : (p.required ? "" : String(p.default));
      if (p.required) input.placeholder = "required";
    }
    input.dataset.param = p.name;
    input.id = prefix + "-" + p.name;
    input.addEventListener("input", schedule);
    lab.appendChild(input);
    box.appendChild(lab);
  }
}

// NAME[:key=value,...] from a select and its parameters; parameters left
// at their defaults are left out. Throws on a value that is not a number.
function specOf(prefix, entries) {
  const sel = $(prefix);
  const e = entryOf(entries, sel.value);
  if (!e) return "";
  const parts = [];
  for (const p of e.params) {
    const input = $(prefix + "-" + p.name);
    const text = input.value.trim();
    input.classList.remove("invalid");
    if (p.kind === "choice") {
      if (text !== p.default) parts.push(p.name + "=" + text);
      continue;
    }
    if (text === "" && !p.required) continue;
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
      input.classList.add("invalid");
      throw new Error(`${sel.value}: ${p.name} must be a number`);
    }
    if (p.required || Number(text) !== p.default) parts.push(p.name + "=" + text);
  }
  return parts.length ? e.name + ":" + parts.join(",") : e.name;
}

function buildArm(k) {
  const sec = $("arm" + k);
  const h = document.createElement("h2");
  const sw = document.createElement("span");
  sw.className = "swatch";
  sw.style.background = COLORS[k];
  h.appendChild(sw);
  if (k === 0) {
    h.append("Arm A");
  } else {
    const lab = document.createElement("label");
    lab.className = "check";
    lab.style.display = "inline";
    const on = document.createElement("input");
    on.type = "checkbox";
    on.id = "arm1-on";
    on.checked = true;
    on.addEventListener("change", schedule);
    lab.append(on, " Arm B");
    h.appendChild(lab);
  }
  sec.append(h,
    specControl(`arm${k}-init`, "initializer", catalogue.inits, false),
    specControl(`arm${k}-act`, "activation", catalogue.acts, false),
    specControl(`arm${k}-bias`, "bias", catalogue.inits, true));
}

function setArm(k, init, params, act) {
  $(`arm${k}-init`).value = init;
  fillParams(`arm${k}-init`, catalogue.inits, params);
  $(`arm${k}-act`).value = act;
  fillParams(`arm${k}-act`, catalogue.acts, {});
  $(`arm${k}-bias`).value = "";
  fillParams(`arm${k}-bias`, catalogue.inits, {});
}

function applyPreset(n) {
  const p = PRESETS[n];
  for (const key of ["depth", "width", "batch", "seed"]) $(key).value = p[key];
  p.arms.forEach((a, k) => setArm(k, a[0], a[1], a[2]));
  $("arm1-on").checked = true;
  $("lesson").textContent = LESSONS[n];
  schedule();
}

function intField(id, lo, hi) {
  const input = $(id), text = input.value.trim();
  input.classList.remove("invalid");
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < lo || v > hi) {
    input.classList.add("invalid");
    throw new Error(`${id} must be a whole number from ${lo} to ${hi}`);
  }
  return v;
}

function netOn() { return catalogue.nets && $("net-on").checked; }

function netRequest() {
  const spec = $("net-spec").value.trim();
  if (!/^[a-z]+(:[a-z_]+=[0-9a-z.]+(,[a-z_]+=[0-9a-z.]+)*)?$/.test(spec))
    throw new Error("network must be PRESET[:key=value,...], e.g. resmlp:blocks=30,width=256");
  const arms = [{ recipe: $("recipe0").value }];
  if ($("arm1-on").checked) arms.push({ recipe: $("recipe1").value });
  return { net: spec, batch: intField("batch", 1, 1e9), seed: intField("seed", 0, 4294967295),
           arms, theory: $("theory").checked };
}

function request() {
  if (netOn()) return netRequest();
  const arms = [];
  for (let k = 0; k < 2; k++) {
    if (k === 1 && !$("arm1-on").checked) continue;
    const arm = { init: specOf(`arm${k}-init`, catalogue.inits),
                  act: specOf(`arm${k}-act`, catalogue.acts) };
    const bias = specOf(`arm${k}-bias`, catalogue.inits);
    if (bias) arm.bias = bias;
    arms.push(arm);
  }
  return {
    depth: intField("depth", 1, catalogue.limits.max_layers),
    width: intField("width", 1, 1e9),
    batch: intField("batch", 1, 1e9),
    seed: intField("seed", 0, 4294967295),
    arms, grad: $("grad").checked, theory: $("theory").checked,
  };
}

// ---- running ----

function showError(msg) {
  const e = $("error");
  e.textContent = msg;
  e.hidden = !msg;
}

// Under an error the figures of an earlier request would read as this
// one's: blank them and the table.
function clearFigures() {
  for (const c of document.querySelectorAll("#view canvas")) {
    const g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
  }
  $("numbers").textContent = "";
  $("notes").textContent = "";
  last = null;
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(run, 30);
}

async function run() {
  if (inFlight) { queued = true; return; }
  let body;
  try {
    body = JSON.stringify(request());
  } catch (err) {
    showError(err.message);
    clearFigures();
    return;
  }
  inFlight = true;
  const t0 = performance.now();
  try {
    const resp = await fetch("api/run", { method: "POST", body,
                                          headers: { "Content-Type": "application/json" } });
    const text = await resp.text();
    if (!resp.ok) {
      let msg = text;
      try { msg = JSON.parse(text).error; } catch (_) { /* not JSON */ }
      showError(`${resp.status}: ${msg}`);
      clearFigures();
    } else {
      const t1 = performance.now();
      last = { body, text, report: JSON.parse(text),
               serverMs: Number(resp.headers.get("X-Initlab-Compute-Ms")) };
      draw();
      showError("");
      const t2 = performance.now();
      runs++;
      document.body.dataset.runs = String(runs);
      $("status").textContent = `computed in ${last.serverMs.toFixed(1)} ms, ` +
        `answered in ${(t1 - t0).toFixed(0)} ms, drawn in ${(t2 - t1).toFixed(0)} ms`;
    }
  } catch (err) {
    showError("the server did not answer: " + err.message);
  } finally {
    inFlight = false;
    if (queued) { queued = false; schedule(); }
  }
}

// ---- drawing ----

function canvasContext(id, cssHeight) {
  const c = $(id), dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth || 900;
  c.style.height = cssHeight + "px";
  c.width = Math.round(w * dpr);
  c.height = Math.round(cssHeight * dpr);
  const g = c.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, w, cssHeight);
  g.font = "11px 'DejaVu Sans', sans-serif";
  return { g, w, h: cssHeight };
}

function pickLayers(n) {
  if (n <= MAX_PANELS) return [...Array(n).keys()];
  const out = [];
  for (let k = 0; k < MAX_PANELS; k++)
    out.push(Math.floor((k * (n - 1) + (MAX_PANELS - 1) / 2) / (MAX_PANELS - 1)));
  return out;
}

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
  return v.toPrecision(3);
}

// One histogram panel: bars of 'hist' (fractions of the finite values), a
// red line for 'expected' (the theory's probability per bin), text with the std.
function panel(g, x, y, w, h, hist, count, expected, color, caption) {
  const n = hist.counts.length;
  const total = Math.max(1, count);
  let top = 0;
  for (const c of hist.counts) top = Math.max(top, c / total);
  if (expected) for (const e of expected) if (e !== null) top = Math.max(top, e);
  top = top > 0 ? top * 1.08 : 1;
  g.strokeStyle = "#d7dbe3";
  g.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  g.fillStyle = color;
  const bw = (w - 2) / n;
  for (let i = 0; i < n; i++) {
    const bh = (hist.counts[i] / total / top) * (h - 2);
    g.fillRect(x + 1 + i * bw, y + h - 1 - bh, Math.max(1, bw - 0.6), bh);
  }
  if (expected) {
    g.strokeStyle = THEORY;
    g.lineWidth = 1.5;
    g.beginPath();
    let started = false;
    for (let i = 0; i < n; i++) {
      if (expected[i] === null) continue;
      const py = y + h - 1 - (expected[i] / top) * (h - 2);
      const px = x + 1 + (i + 0.5) * bw;
      if (started) g.lineTo(px, py); else g.moveTo(px, py);
      started = true;
    }
    g.stroke();
    g.lineWidth = 1;
  }
  g.fillStyle = "#1d2330";
  g.fillText(caption, x + 4, y + 12);
  g.fillStyle = "#5b6475";
  g.fillText(fmt(hist.lo), x + 2, y + h + 12);
  const hiText = fmt(hist.hi);
  g.fillText(hiText, x + w - g.measureText(hiText).width - 2, y + h + 12);
}

function drawGrid(id, report, which) {
  const arms = report.arms, L = arms[0].layers.length, pick = pickLayers(L);
  const label = 150, rowH = 110, cols = pick.length;
  const { g, w } = canvasContext(id, 22 + arms.length * (rowH + 18));
  const pw = (w - label - 8) / cols;
  g.fillStyle = "#5b6475";
  pick.forEach((l, c) => g.fillText("layer " + (l + 1), label + c * pw + 4, 14));
  arms.forEach((arm, r) => {
    const y = 22 + r * (rowH + 18);
    g.fillStyle = COLORS[r];
    g.fillRect(6, y + 4, 10, 10);
    g.fillStyle = "#1d2330";
    wrapText(g, arm.label, 20, y + 13, label - 24);
    pick.forEach((l, c) => {
      const layer = arm.layers[l];
      const s = which === "grad" ? layer.grad_pre : layer;
      const exp = which === "grad" || !layer.theory ? null : layer.theory.hist || null;
      const finite = (s.count !== undefined ? s.count : layer.count) - s.nonfinite;
      panel(g, label + c * pw + 2, y, pw - 6, rowH, s.hist, finite, exp, COLORS[r],
            "std " + fmt(s.std));
    });
  });
}

function wrapText(g, text, x, y, width) {
  const words = text.split(/(?<=[/:,])/);
  let line = "";
  for (const wd of words) {
    if (g.measureText(line + wd).width > width && line) {
      g.fillText(line, x, y);
      y += 13;
      line = wd;
    } else {
      line += wd;
    }
  }
  g.fillText(line, x, y);
}

// std per layer on a log scale: solid measured, dashed theory.
function drawLines(id, report, which) {
  const arms = report.arms, L = arms[0].layers.length;
  const { g, w, h } = canvasContext(id, 240);
  // the legend goes above the plot (top), clear of the lines and ticks
  const left = 60, right = 16, top = 28, bottom = 34;
  const series = [];
  arms.forEach((arm, a) => {
    const get = which === "grad" ? (l) => l.grad_pre.std : (l) => l.std;
    series.push({ ys: arm.layers.map(get), color: COLORS[a], dash: [] , label: `arm ${"AB"[a]}` });
    if (which !== "grad" && arm.layers[0].theory)
      series.push({ ys: arm.layers.map((l) => l.theory.act_std), color: COLORS[a], dash: [6, 4],
                    label: `arm ${"AB"[a]}, theory` });
  });
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const v of s.ys) if (v > 0 && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)) { lo = 1e-3; hi = 1; }
  let e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
  if (e1 <= e0) e1 = e0 + 1;
  const X = (l) => left + (L === 1 ? 0.5 : l / (L - 1)) * (w - left - right);
  const Y = (v) => top + (1 - (Math.log10(v) - e0) / (e1 - e0)) * (h - top - bottom);
  g.strokeStyle = "#e6e9ef";
  g.fillStyle = "#5b6475";
  for (let e = e0; e <= e1; e++) {
    g.beginPath(); g.moveTo(left, Y(10 ** e)); g.lineTo(w - right, Y(10 ** e)); g.stroke();
    g.fillText("1e" + e, 8, Y(10 ** e) + 4);
    // over one or two decades, 2 and 5 times each power too
    if (e1 - e0 <= 2 && e < e1) for (const m of [2, 5]) {
      g.beginPath(); g.moveTo(left, Y(m * 10 ** e)); g.lineTo(w - right, Y(m * 10 ** e)); g.stroke();
      g.fillText(m + "e" + e, 8, Y(m * 10 ** e) + 4);
    }
  }
  const step = Math.max(1, Math.ceil(L / 20));
  for (let l = 0; l < L; l += step) g.fillText(String(l + 1), X(l) - 3, h - bottom + 16);
  g.fillText("layer", w / 2 - 14, h - 4);
  g.fillText(which === "grad" ? "std of dL/dz (log)" : "std (log)", 8, 12);
  for (const s of series) {
    g.strokeStyle = s.color;
    g.setLineDash(s.dash);
    g.lineWidth = 2;
    g.beginPath();
    let started = false;
    s.ys.forEach((v, l) => {
      if (!(v > 0 && isFinite(v))) { started = false; return; }
      if (started) g.lineTo(X(l), Y(v)); else g.moveTo(X(l), Y(v));
      started = true;
    });
    g.stroke();
    if (L <= 50) for (let l = 0; l < L; l++) {
      const v = s.ys[l];
      if (v > 0 && isFinite(v) && !s.dash.length) { g.fillStyle = s.color; g.fillRect(X(l) - 2, Y(v) - 2, 4, 4); }
    }
  }
  g.setLineDash([]);
  g.lineWidth = 1;
  g.strokeStyle = "#5b6475";
  g.strokeRect(left, top, w - left - right, h - top - bottom);
  series.forEach((s, i) => {
    const x = left + 100 + i * 130, y = 10;
    g.strokeStyle = s.color;
    g.setLineDash(s.dash);
    g.lineWidth = 2;
    g.beginPath(); g.moveTo(x, y); g.lineTo(x + 22, y); g.stroke();
    g.setLineDash([]);
    g.lineWidth = 1;
    g.fillStyle = "#1d2330";
    g.fillText(s.label, x + 26, y + 4);
  });
}

function drawTable(report) {
  const t = $("numbers");
  const arms = report.arms, L = arms[0].layers.length;
  const theory = arms.some((a) => a.layers[0].theory);
  const grad = arms[0].layers[0].grad_pre !== undefined;
  const head = ["layer"];
  arms.forEach((a, k) => {
    const n = "AB"[k];
    head.push(`${n} mean`, `${n} std`);
    if (theory) head.push(`${n} theory std`);
    head.push(`${n} zeros`);
    if (grad) head.push(`${n} std dL/dz`);
  });
  const rows = [head];
  for (let l = 0; l < L; l++) {
    const row = [String(l + 1)];
    for (const a of arms) {
      const s = a.layers[l];
      row.push(fmt(s.mean), fmt(s.std));
      if (theory) row.push(s.theory ? fmt(s.theory.act_std) : "–");
      row.push(s.frac_zero === null ? "–" : (100 * s.frac_zero).toFixed(1) + "%");
      if (grad) row.push(fmt(s.grad_pre.std));
    }
    rows.push(row);
  }
  t.textContent = "";
  rows.forEach((r, i) => {
    const tr = document.createElement("tr");
    for (const c of r) {
      const cell = document.createElement(i === 0 ? "th" : "td");
      cell.textContent = c;
      tr.appendChild(cell);
    }
    t.appendChild(tr);
  });
  const notes = [];
  arms.forEach((a, k) => {
    if (a.theory_note) notes.push(`arm ${"AB"[k]}: ${a.theory_note}`);
    if (a.first_nonfinite_layer) notes.push(`arm ${"AB"[k]}: non-finite values from layer ${a.first_nonfinite_layer}`);
    if (a.first_dead_layer) notes.push(`arm ${"AB"[k]}: layer ${a.first_dead_layer} is all zeros`);
  });
  $("notes").textContent = notes.join(" · ");
}

// The residual stream's points, as depth.png (cli/run_net.c) picks them:
// the top-level residual nodes, else every top-level node.
function streamPoints(points) {
  const top = points.filter((p) => /^layers\.\d+$/.test(p.name));
  const res = top.filter((p) => p.type === "residual");
  return res.length ? res : top;
}

// rms per block on a log scale, one line per arm, theory dashed.
function drawDepth(report) {
  const { g, w, h } = canvasContext("depthchart", 300);
  const left = 64, right = 16, top = 30, bottom = 40;
  const series = [];
  report.arms.forEach((arm, a) => {
    const pts = streamPoints(arm.points);
    series.push({ ys: pts.map((p) => Math.sqrt(p.q)), color: COLORS[a], dash: [],
                  label: arm.label || arm.recipe });
    if (pts.length && pts.every((p) => p.theory && p.theory.q !== undefined))
      series.push({ ys: pts.map((p) => Math.sqrt(p.theory.q)), color: COLORS[a], dash: [6, 4],
                    label: (arm.label || arm.recipe) + ", theory" });
  });
  const L = Math.max(...series.map((s) => s.ys.length));
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const v of s.ys) if (v > 0 && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)) { lo = 1e-3; hi = 1; }
  let e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
  if (e1 <= e0) e1 = e0 + 1;
  const X = (l) => left + (L <= 1 ? 0.5 : l / (L - 1)) * (w - left - right);
  const Y = (v) => top + (1 - (Math.log10(v) - e0) / (e1 - e0)) * (h - top - bottom);
  g.fillStyle = "#1d2330";
  g.fillText(`rms of the stream per block: ${report.arms[0].net}`, left, 14);
  g.strokeStyle = "#e6e9ef";
  g.fillStyle = "#5b6475";
  const every = Math.max(1, Math.ceil((e1 - e0) / 10));
  for (let e = e0; e <= e1; e += every) {
    g.beginPath(); g.moveTo(left, Y(10 ** e)); g.lineTo(w - right, Y(10 ** e)); g.stroke();
    g.fillText("1e" + e, 8, Y(10 ** e) + 4);
  }
  g.strokeStyle = "#5b6475";
  g.strokeRect(left, top, w - left - right, h - top - bottom);
  const step = Math.max(1, Math.ceil(L / 20));
  for (let l = 0; l < L; l += step) g.fillText(String(l + 1), X(l) - 3, h - bottom + 16);
  g.fillText("block", w / 2 - 14, h - 6);
  for (const s of series) {
    g.strokeStyle = s.color; g.setLineDash(s.dash); g.lineWidth = 2;
    g.beginPath();
    let started = false;
    s.ys.forEach((v, l) => {
      if (!(v > 0 && isFinite(v))) { started = false; return; }
      if (started) g.lineTo(X(l), Y(v)); else g.moveTo(X(l), Y(v));
      started = true;
    });
    g.stroke();
  }
  g.setLineDash([]); g.lineWidth = 1;
  // the legend inside the plot, in its upper left, on a white box
  const lw = Math.max(...series.map((s) => g.measureText(s.label).width)) + 40;
  g.fillStyle = "rgba(255,255,255,0.9)";
  g.fillRect(left + 6, top + 6, lw, 16 * series.length + 6);
  series.forEach((s, i) => {
    const x = left + 12, y = top + 16 + i * 16;
    g.strokeStyle = s.color; g.setLineDash(s.dash); g.lineWidth = 2;
    g.beginPath(); g.moveTo(x, y); g.lineTo(x + 22, y); g.stroke();
    g.setLineDash([]); g.lineWidth = 1;
    g.fillStyle = "#1d2330";
    g.fillText(s.label, x + 26, y + 4);
  });
}

function drawNetTable(report) {
  const t = $("numbers");
  t.textContent = "";
  const cols = report.arms.map((a) => streamPoints(a.points));
  const head = ["block"];
  report.arms.forEach((a) => { head.push(`${a.label} rms`); if (cols[0][0] && cols[0][0].theory) head.push(`${a.label} theory`); });
  const rows = [head];
  for (let l = 0; l < cols[0].length; l++) {
    const row = [String(l + 1)];
    cols.forEach((c) => { row.push(fmt(Math.sqrt(c[l].q))); if (cols[0][0].theory) row.push(c[l].theory ? fmt(Math.sqrt(c[l].theory.q)) : "–"); });
    rows.push(row);
  }
  rows.forEach((r, i) => {
    const tr = document.createElement("tr");
    for (const c of r) { const cell = document.createElement(i === 0 ? "th" : "td"); cell.textContent = c; tr.appendChild(cell); }
    t.appendChild(tr);
  });
  $("notes").textContent = "";
}

function draw() {
  const r = last.report;
  const net = r.arms[0].points !== undefined;
  $("depth-view").hidden = !net;
  $("mlp-view").hidden = net;
  if (net) { drawDepth(r); drawNetTable(r); return; }
  drawGrid("hists", r, "act");
  drawLines("std", r, "act");
  const grad = r.arms[0].layers[0].grad_pre !== undefined;
  $("grad-view").hidden = !grad;
  if (grad) {
    drawGrid("grads", r, "grad");
    drawLines("gradstd", r, "grad");
  }
  drawTable(r);
}

// ---- downloads ----

function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function downloadCsv() {
  if (!last) return;
  // the server refuses a POST that is not application/json (a string body
  // alone would go as text/plain, what a cross-site form can send)
  const resp = await fetch("api/run?format=csv", { method: "POST", body: last.body,
                                                   headers: { "Content-Type": "application/json" } });
  if (!resp.ok) { showError(`${resp.status}: stats.csv failed`); return; }
  download("stats.csv", await resp.blob());
}

function downloadPng() {
  if (!last) return;
  const titles = { hists: "Activations, per layer", std: "Standard deviation per layer",
                   grads: "Gradients dL/dz, per layer", gradstd: "Std of dL/dz per layer" };
  const ids = ["hists", "std"].concat($("grad-view").hidden ? [] : ["grads", "gradstd"]);
  const cs = ids.map($), pad = 10, dpr = window.devicePixelRatio || 1, head = Math.round(22 * dpr);
  const req = JSON.parse(last.body);
  const out = document.createElement("canvas");
  out.width = Math.max(...cs.map((c) => c.width)) + 2 * pad;
  out.height = cs.reduce((s, c) => s + c.height + head, pad + head) + pad;
  const g = out.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, out.width, out.height);
  g.fillStyle = "#1d2330";
  g.font = `${Math.round(13 * dpr)}px 'DejaVu Sans', sans-serif`;
  g.fillText(`initlab: ${req.depth} layers, width ${req.width}, batch ${req.batch}, ` +
             `seed ${req.seed}`, pad, pad + head * 0.7);
  let y = pad + head;
  cs.forEach((c, i) => {
    g.fillText(titles[ids[i]], pad, y + head * 0.75);
    g.drawImage(c, pad, y + head);
    y += c.height + head;
  });
  out.toBlob((b) => download("initlab.png", b), "image/png");
}

// ---- start ----

async function start() {
  try {
    const resp = await fetch("api/list");
    catalogue = await resp.json();
  } catch (err) {
    $("status").textContent = "cannot reach the server: " + err.message;
    return;
  }
  buildArm(0);
  buildArm(1);
  if (catalogue.nets) {
    for (const n of catalogue.nets) option($("net-preset"), n.example, n.name);
    for (let k = 0; k < 2; k++) for (const r of catalogue.recipes) option($(`recipe${k}`), r.name, r.name);
    $("net-preset").value = "resmlp:blocks=30,width=256,norm=none";
    $("recipe0").value = "he";
    $("recipe1").value = "fixup";
    const keys = () => {
      const n = catalogue.nets.find((x) => x.example === $("net-preset").value);
      $("net-keys").textContent = n ? `${n.summary}. keys: ${n.keys}` : "";
    };
    keys();
    $("net-preset").addEventListener("change", () => { $("net-spec").value = $("net-preset").value; keys(); schedule(); });
    // 30 blocks of 256 for 1000 examples, two arms, is over the default
    // memory budget (384 MiB): a network run starts from a batch of 256
    $("net-on").addEventListener("change", () => {
      if ($("net-on").checked && Number($("batch").value) > 256) $("batch").value = "256";
      schedule();
    });
    for (const id of ["recipe0", "recipe1"]) $(id).addEventListener("change", schedule);
    $("net-spec").addEventListener("input", schedule);
  } else {
    $("netpick").hidden = true;
  }
  for (const id of ["depth", "width", "batch", "seed"]) $(id).addEventListener("input", schedule);
  for (const id of ["theory", "grad"]) $(id).addEventListener("change", schedule);
  document.querySelectorAll("[data-preset]").forEach((b) =>
    b.addEventListener("click", () => applyPreset(b.dataset.preset)));
  $("dl-json").addEventListener("click", () => last &&
    download("report.json", new Blob([last.text], { type: "application/json" })));
  $("dl-csv").addEventListener("click", downloadCsv);
  $("dl-png").addEventListener("click", downloadPng);
  window.addEventListener("resize", () => { if (last) draw(); });
  applyPreset(1);
}

start();
