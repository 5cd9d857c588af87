// app.js: the fieldgate web console. It reads one Server-Sent Events
// stream (/console/events) and renders the views; it loads nothing else.
"use strict";

const HISTORY = 600;        // one-second samples kept (10 min)
const SERIES_CAP = 6000;    // points kept per plotted signal (10 min at 10 Hz)
const WINDOWS = [10, 30, 60, 120, 300, 600]; // signal plot windows, seconds

const st = {
  status: null,          // latest gateway /status
  history: [],           // one-second samples, oldest first
  drops: [],
  rows: new Map(),       // trace rows by key
  view: "overview",
  filter: null,
  series: new Map(),     // plotted series by name
  paused: false,
  pausedAt: 0,
  win: 2,                // index into WINDOWS
  dirty: {overview: true, trace: true, signals: true, drops: true},
  dbc: "",
  clockSkew: 0,          // server time - local time, ms
};

const $ = s => document.querySelector(s);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function fmtInt(n) { return Number(n).toLocaleString("en-US"); }
function fmtRate(r) { return r >= 100 ? r.toFixed(0) : r.toFixed(1); }
function fmtTime(ms) { return ms ? new Date(ms).toLocaleTimeString() : ""; }
function dropText(m) {
  if (!m) return "";
  return Object.keys(m).sort().filter(k => m[k] > 0).map(k => k + ": " + fmtInt(m[k])).join(", ");
}
function now() { return Date.now() + st.clockSkew; }

// ---- views ----
function show(view) {
  st.view = view;
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.view === view);
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== "view-" + view;
  st.dirty[view] = true;
  schedule();
}
for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => show(b.dataset.view));

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  // A hidden tab gets no animation frames: the timer renders then.
  const run = () => { if (pending) { pending = false; render(); } };
  requestAnimationFrame(run);
  setTimeout(run, 100);
}

function render() {
  const v = st.view;
  if (v === "overview" && st.dirty.overview) { renderOverview(); st.dirty.overview = false; }
  if (v === "trace" && st.dirty.trace) { renderTrace(); st.dirty.trace = false; }
  if (v === "signals" && st.dirty.signals) { renderSignals(); st.dirty.signals = false; }
  if (v === "drops" && st.dirty.drops) { renderDrops(); st.dirty.drops = false; }
}

// syncRows makes tbody hold one row per key, in order, reusing rows.
function syncRows(tbody, keys, make) {
  const have = new Map();
  for (const tr of Array.from(tbody.rows)) have.set(tr.dataset.key, tr);
  let i = 0;
  for (const k of keys) {
    let tr = have.get(k);
    if (!tr) { tr = make(k); tr.dataset.key = k; }
    have.delete(k);
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
    i++;
  }
  for (const tr of have.values()) tr.remove();
}
function cells(tr, n, numeric) {
  while (tr.cells.length < n) {
    const td = el("td");
    if (numeric && numeric.includes(tr.cells.length)) td.className = "num";
    tr.appendChild(td);
  }
  return tr.cells;
}
function setText(td, s) { if (td.textContent !== s) td.textContent = s; }

function lastSample() { return st.history.length ? st.history[st.history.length - 1] : null; }

function renderOverview() {
  const s = st.status;
  if (!s) return;
  const smp = lastSample();
  const eps = s.endpoints || [];
  const tb = $("#eps tbody");
  syncRows(tb, eps.map(e => e.name), () => el("tr"));
  eps.forEach((e, i) => {
    const tr = tb.rows[i];
    tr.dataset.ep = e.name;
    const c = cells(tr, 10, [2, 3, 4, 5, 7]);
    const r = smp && smp.ep[e.name] || {in: 0, out: 0};
    setText(c[0], e.name); setText(c[1], e.kind);
    setText(c[2], fmtRate(r.in)); setText(c[3], fmtRate(r.out));
    setText(c[4], fmtInt(e.frames_in)); c[4].dataset.f = "frames_in"; c[4].dataset.v = e.frames_in;
    setText(c[5], fmtInt(e.frames_out)); c[5].dataset.f = "frames_out"; c[5].dataset.v = e.frames_out;
    setText(c[6], dropText(e.dropped)); c[6].className = "drop"; c[6].dataset.f = "dropped"; c[6].dataset.v = sumDrops(e.dropped);
    setText(c[7], String(e.queue)); c[7].dataset.f = "queue";
    let bl = "";
    if (e.bus_load !== undefined && e.bus_load !== null) {
      bl = e.bus_load >= 0 ? (e.bus_load * 100).toFixed(1) + " %" : fmtInt(Math.round(e.bus_bits_per_second || 0)) + " bit/s";
    }
    setText(c[8], bl);
    setText(c[9], e.can_state || "");
    c[9].className = /PASSIVE|BUS-OFF|WARNING/.test(e.can_state || "") ? "state-bad" : "";
  });
  const rts = s.routes || [];
  const rb = $("#routes tbody");
  syncRows(rb, rts.map(r => r.name), () => el("tr"));
  rts.forEach((r, i) => {
    const tr = rb.rows[i];
    tr.dataset.route = r.name;
    const c = cells(tr, 7, [2, 3, 4, 6]);
    const x = smp && smp.rt[r.name] || {in: 0};
    setText(c[0], r.name);
    setText(c[1], (r.from || []).join(", ") + " → " + (r.to || []).join(", ") + (r.offloaded ? " (kernel)" : ""));
    setText(c[2], fmtRate(x.in));
    setText(c[3], fmtInt(r.in)); c[3].dataset.f = "in"; c[3].dataset.v = r.in;
    setText(c[4], fmtInt(r.out)); c[4].dataset.f = "out"; c[4].dataset.v = r.out;
    setText(c[5], dropText(r.dropped)); c[5].className = "drop"; c[5].dataset.f = "dropped"; c[5].dataset.v = sumDrops(r.dropped);
    setText(c[6], r.latency_p99_ns ? (r.latency_p99_ns / 1000).toFixed(0) + " µs" : "");
  });
  drawHistory();
}
function sumDrops(m) { let t = 0; for (const k in m || {}) t += m[k]; return t; }

function drawHistory() {
  const h = st.history;
  // The last ten minutes, or less while the history is younger (at
  // least a minute).
  const tmax = h.length ? h[h.length - 1].t : now();
  const tmin = Math.max(tmax - HISTORY * 1000, Math.min(h.length ? h[0].t : tmax, tmax - 60000));
  const names = (st.status && st.status.endpoints || []).map(e => e.name);
  const rate = [], bus = [];
  names.forEach((n, i) => {
    const s = {name: n, color: PALETTE[i % PALETTE.length], t: [], v: []};
    const b = {name: n, color: PALETTE[i % PALETTE.length], t: [], v: []};
    for (const x of h) {
      const e = x.ep[n];
      if (!e) continue;
      s.t.push(x.t); s.v.push(e.in);
      if (e.bus_load !== undefined && e.bus_load !== null && e.bus_load >= 0) { b.t.push(x.t); b.v.push(e.bus_load * 100); }
    }
    rate.push(s);
    if (b.t.length) bus.push(b);
  });
  drawPlot($("#rate-plot"), rate, {tmin, tmax, empty: "no endpoint"});
  drawPlot($("#bus-plot"), bus, {tmin, tmax, ymin: 0, ymax: 100, unit: "%", empty: "no CAN interface with a bit rate"});
}

// ---- trace ----
// parseFilter turns the filter box into tests: hex IDs (123), ID:mask
// (100:700) and names (substring of the message, a signal or the endpoint).
function parseFilter(text) {
  const toks = text.split(/[\s,;]+/).filter(Boolean);
  if (!toks.length) return null;
  return toks.map(t => {
    const m = /^(?:0x)?([0-9a-f]{1,8})(?::(?:0x)?([0-9a-f]{1,8}))?$/i.exec(t);
    const name = t.toLowerCase();
    if (m) {
      const id = parseInt(m[1], 16), mask = m[2] !== undefined ? parseInt(m[2], 16) : 0x1fffffff;
      return r => ((r.idn & mask) >>> 0) === ((id & mask) >>> 0) || (m[2] === undefined && matchName(r, name));
    }
    return r => matchName(r, name);
  });
}
function matchName(r, name) {
  if (r.ep.toLowerCase().includes(name) || (r.msg && r.msg.toLowerCase().includes(name))) return true;
  return (r.sig || []).some(s => s.n.toLowerCase().includes(name));
}
function visible(r) { return !st.filter || st.filter.some(f => f(r)); }
$("#filter").addEventListener("input", e => { st.filter = parseFilter(e.target.value); st.dirty.trace = true; schedule(); });

function onTrace(ev) {
  const t = ev.t;
  for (const r of ev.rows) {
    const old = st.rows.get(r.k);
    r.chg = old ? old.chg : [];
    if (old && old.data !== r.data) {
      for (let i = 0; i < r.data.length; i += 2) {
        if (old.data.substr(i, 2) !== r.data.substr(i, 2)) r.chg[i / 2] = t;
      }
    }
    st.rows.set(r.k, r);
    sampleSeries(r, t);
  }
  st.overflow = ev.overflow || 0;
  st.dirty.trace = true;
  st.dirty.signals = true;
  schedule();
}

function rowOrder(a, b) {
  if (a.ep !== b.ep) return a.ep < b.ep ? -1 : 1;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.idn - b.idn || (a.sa || 0) - (b.sa || 0);
}

function renderTrace() {
  const rows = Array.from(st.rows.values()).filter(visible).sort(rowOrder);
  $("#trace-count").textContent = rows.length + " of " + st.rows.size + " IDs" + (st.overflow ? " · " + fmtInt(st.overflow) + " frames of untraced IDs (table full)" : "");
  const tb = $("#trace tbody");
  syncRows(tb, rows.map(r => r.k), () => el("tr"));
  const t = now();
  rows.forEach((r, i) => {
    const tr = tb.rows[i];
    tr.dataset.id = r.id;
    const c = cells(tr, 10, [4, 5, 6, 7]);
    setText(c[0], r.ep); setText(c[1], r.type + (r.rtr ? " RTR" : ""));
    c[2].className = "id"; setText(c[2], r.id + (r.type === "j1939" ? " SA " + r.sa : ""));
    setText(c[3], r.msg || "");
    setText(c[4], (r.sampled ? "≈ " : "") + fmtInt(r.n));
    c[4].title = r.sampled ? "sampled: the source is too busy to trace every frame; /status has the exact totals" : ""; setText(c[5], fmtRate(r.rate)); setText(c[6], r.period_ms ? r.period_ms.toFixed(2) : "");
    setText(c[7], String(r.len));
    renderBytes(c[8], r, t);
    renderSigs(c[9], r);
  });
}

function renderBytes(td, r, t) {
  td.className = "data";
  const n = r.data.length / 2;
  while (td.childNodes.length > n) td.lastChild.remove();
  for (let i = 0; i < n; i++) {
    let sp = td.childNodes[i];
    if (!sp) {
      sp = el("span", "byte");
      sp.addEventListener("click", () => toggleSeries(byteSeriesName(sp.parentNode.parentNode.dataset.key, sp.dataset.i)));
      td.appendChild(sp);
    }
    sp.dataset.i = i;
    setText(sp, r.data.substr(2 * i, 2).toUpperCase());
    const on = st.series.has(byteSeriesName(r.k, i));
    const chg = r.chg[i] && t - r.chg[i] < 1000;
    const cls = "byte" + (chg ? " chg" : "") + (on ? " on" : "");
    if (sp.className !== cls) sp.className = cls;
  }
}

function renderSigs(td, r) {
  td.className = "sigs";
  const sigs = r.sig || [];
  while (td.childNodes.length > sigs.length) td.lastChild.remove();
  sigs.forEach((s, i) => {
    let sp = td.childNodes[i];
    if (!sp) {
      sp = el("span", "sig");
      sp.addEventListener("click", () => toggleSeries(sp.dataset.series));
      td.appendChild(sp);
    }
    const name = sigSeriesName(r, s.n);
    sp.dataset.series = name;
    sp.dataset.sig = s.n;
    setText(sp, s.n + " = " + fmtSig(s.v) + (s.u ? " " + s.u : "") + (s.x ? " (" + s.x + ")" : ""));
    const cls = "sig" + (st.series.has(name) ? " on" : "");
    if (sp.className !== cls) sp.className = cls;
  });
}
function fmtSig(v) { return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000); }

// ---- signal plot ----
function sigSeriesName(r, sig) { return r.k + "|s|" + sig; }
function byteSeriesName(k, i) { return k + "|b|" + i; }
function seriesLabel(name) {
  const [k, kind, what] = name.split("|");
  const r = st.rows.get(k);
  const id = r ? r.ep + " " + r.id : k;
  if (kind === "s") {
    const s = r && (r.sig || []).find(x => x.n === what);
    return (r && r.msg ? r.msg : id) + "." + what + (s && s.u ? " [" + s.u + "]" : "");
  }
  return id + " byte " + what;
}
function toggleSeries(name) {
  if (st.series.has(name)) st.series.delete(name);
  else addSeries(name);
  st.userChose = true;
  st.dirty.trace = st.dirty.signals = true;
  schedule();
}
function addSeries(name) {
  const used = new Set(Array.from(st.series.values()).map(s => s.color));
  const color = PALETTE.find(c => !used.has(c)) || PALETTE[st.series.size % PALETTE.length];
  st.series.set(name, {name, color, t: [], v: []});
}
function push(s, t, v) {
  if (s.t.length && t <= s.t[s.t.length - 1]) return;
  s.t.push(t); s.v.push(v);
  if (s.t.length > SERIES_CAP * 1.25) { s.t.splice(0, s.t.length - SERIES_CAP); s.v.splice(0, s.v.length - SERIES_CAP); }
}
function sampleSeries(r, t) {
  if (!st.userChose && st.series.size === 0) {
    // Start with something to look at: the first signal, else byte 0.
    if (r.sig && r.sig.length) addSeries(sigSeriesName(r, r.sig[0].n));
    else if (!st.dbc && r.data.length) addSeries(byteSeriesName(r.k, 0));
  }
  for (const s of st.series.values()) {
    const [k, kind, what] = s.name.split("|");
    if (k !== r.k) continue;
    if (kind === "s") {
      const x = (r.sig || []).find(x => x.n === what);
      if (x) push(s, t, x.v);
    } else if (2 * what < r.data.length) {
      push(s, t, parseInt(r.data.substr(2 * what, 2), 16));
    }
  }
}
function windowMs() { return WINDOWS[st.win] * 1000; }
function renderSignals() {
  $("#window").textContent = "window " + WINDOWS[st.win] + " s" + (st.paused ? " · paused" : "");
  const list = $("#series-list");
  const names = Array.from(st.series.keys());
  list.textContent = "";
  for (const n of names) {
    const c = el("span", "chip", seriesLabel(n) + " ✕");
    c.title = "remove";
    c.addEventListener("click", () => toggleSeries(n));
    list.appendChild(c);
  }
  const tmax = st.paused ? st.pausedAt : now(), tmin = tmax - windowMs();
  const series = Array.from(st.series.values()).map(s => ({name: s.name, label: seriesLabel(s.name), color: s.color, t: s.t, v: s.v}));
  drawPlot($("#sig-plot"), series, {tmin, tmax, empty: "choose signals or bytes in Trace"});
}
$("#pause").addEventListener("click", () => {
  st.paused = !st.paused;
  st.pausedAt = now();
  $("#pause").textContent = st.paused ? "Resume" : "Pause";
  st.dirty.signals = true; schedule();
});
function zoom(d) { st.win = Math.max(0, Math.min(WINDOWS.length - 1, st.win + d)); st.dirty.signals = true; schedule(); }
$("#zoom-in").addEventListener("click", () => zoom(-1));
$("#zoom-out").addEventListener("click", () => zoom(1));
$("#sig-plot").addEventListener("wheel", e => { e.preventDefault(); zoom(e.deltaY > 0 ? 1 : -1); }, {passive: false});

// ---- drops ----
function renderDrops() {
  const ds = st.drops || [];
  $("#no-drops").hidden = ds.length > 0;
  const tb = $("#drops tbody");
  syncRows(tb, ds.map(d => d.where + "|" + d.name + "|" + d.reason), () => el("tr"));
  ds.forEach((d, i) => {
    const c = cells(tb.rows[i], 6, [3]);
    setText(c[0], d.where); setText(c[1], d.name); setText(c[2], d.reason);
    setText(c[3], fmtInt(d.count));
    setText(c[4], (d.before ? "≤ " : "") + fmtTime(d.since));
    setText(c[5], fmtTime(d.last));
  });
}
function dropBadge() {
  const n = (st.drops || []).reduce((a, d) => a + d.count, 0);
  $("#drop-badge").textContent = n ? fmtInt(n) : "";
}

// ---- send ----
// The form appears when the configuration declares console endpoints;
// the frame then goes through their routes and allow lists.
function setupSend(eps) {
  const sel = $("#send-ep");
  sel.textContent = "";
  for (const e of eps) sel.appendChild(el("option", "", e));
  $("#send").hidden = eps.length === 0;
}
async function sendFrame() {
  const out = $("#send-status");
  const body = {endpoint: $("#send-ep").value, id: $("#send-id").value.trim().toUpperCase(),
    data: $("#send-data").value.replace(/[\s.:]+/g, ""), fd: $("#send-fd").checked};
  out.textContent = "sending…";
  try {
    const r = await fetch("/console/send", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    const text = (await r.text()).trim();
    out.textContent = r.ok ? "queued " + body.id + "#" + body.data.toUpperCase() + " from " + body.endpoint : text;
    out.className = r.ok ? "hint" : "hint drop";
  } catch (e) {
    out.textContent = "not sent: " + e;
    out.className = "hint drop";
  }
}
$("#send-btn").addEventListener("click", sendFrame);
for (const id of ["#send-id", "#send-data"]) $(id).addEventListener("keydown", e => { if (e.key === "Enter") sendFrame(); });

// ---- stream ----
function onStatus(status, sample) {
  st.status = status;
  $("#info").textContent = (status.file ? status.file + " · " : "") + "up " + Math.round(status.uptime_seconds) + " s";
  if (sample && sample.t) {
    st.history.push(sample);
    if (st.history.length > HISTORY) st.history.splice(0, st.history.length - HISTORY);
    st.clockSkew = sample.t - Date.now();
  }
  st.dirty.overview = st.dirty.drops = true;
  dropBadge();
  schedule();
}

function connect() {
  const es = new EventSource("/console/events");
  const conn = $("#conn");
  es.addEventListener("hello", m => {
    const d = JSON.parse(m.data);
    st.history = (d.history || []).filter(x => x.t);
    st.drops = d.drops || [];
    st.dbc = d.dbc || "";
    setupSend(d.send || []);
    if (st.history.length) st.clockSkew = st.history[st.history.length - 1].t - Date.now();
    onStatus(d.status, null);
    conn.textContent = "live" + (st.dbc ? " · DBC " + st.dbc.split("/").pop() : "");
    conn.className = "conn live";
  });
  es.addEventListener("status", m => {
    const d = JSON.parse(m.data);
    st.drops = d.drops || [];
    onStatus(d.status, d.sample);
  });
  es.addEventListener("trace", m => onTrace(JSON.parse(m.data)));
  es.onerror = () => { conn.textContent = "reconnecting…"; conn.className = "conn down"; };
}

setInterval(() => {
  // Fade the change highlight and move the plots' time axis.
  if (st.view === "trace") st.dirty.trace = true;
  if (st.view === "signals" && !st.paused) st.dirty.signals = true;
  schedule();
}, 250);
window.addEventListener("resize", () => { st.dirty[st.view] = true; schedule(); });
connect();
