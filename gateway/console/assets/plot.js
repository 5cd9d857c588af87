// plot.js: a small line plot on a canvas, written for the fieldgate console.
// drawPlot(canvas, series, opts): series are {name, color, t: [], v: []}
// (t in ms, ascending); opts {tmin, tmax, unit, ymin, ymax, empty}.
"use strict";

const PALETTE = ["#0b6bcb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0c8599", "#c2255c", "#5c940d", "#364fc7", "#a61e4d"];

function niceStep(span, n) {
  const raw = span / Math.max(1, n);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

function fmtNum(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (a >= 100 || a === 0) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

// fmtAgo labels a time ms milliseconds before the right edge.
function fmtAgo(ms) {
  const s = Math.round(ms / 1000);
  if (s === 0) return "now";
  if (s % 60 === 0) return "-" + (s / 60) + "m";
  return "-" + s + "s";
}

function drawPlot(canvas, series, opts) {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || canvas.width, cssH = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, cssW, cssH);
  const L = 52, R = 10, T = 10, B = 22 + 16 * Math.ceil(series.length / 3);
  const w = cssW - L - R, h = cssH - T - B;
  if (w < 20 || h < 20) return;
  const tmin = opts.tmin, tmax = opts.tmax;
  let ymin = opts.ymin, ymax = opts.ymax;
  if (ymin === undefined || ymax === undefined) {
    let lo = Infinity, hi = -Infinity;
    for (const s of series) {
      for (let i = 0; i < s.t.length; i++) {
        if (s.t[i] < tmin || s.t[i] > tmax) continue;
        const v = s.v[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (ymin === undefined) ymin = Math.min(0, lo);
    if (ymax === undefined) ymax = hi;
    if (ymax <= ymin) ymax = ymin + 1;
    ymax += (ymax - ymin) * 0.05;
  }
  const X = t => L + (t - tmin) / (tmax - tmin) * w;
  const Y = v => T + h - (v - ymin) / (ymax - ymin) * h;
  // Grid and axes.
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#e3e7eb";
  ctx.fillStyle = "#667";
  ctx.lineWidth = 1;
  const ys = niceStep(ymax - ymin, 5);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = Math.ceil(ymin / ys) * ys; v <= ymax; v += ys) {
    const y = Math.round(Y(v)) + 0.5;
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(L + w, y); ctx.stroke();
    ctx.fillText(fmtNum(v) + (opts.unit || ""), L - 4, y);
  }
  const ts = niceStep((tmax - tmin) / 1000, 6) * 1000;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let t = tmax; t >= tmin; t -= ts) {
    const x = Math.round(X(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, T); ctx.lineTo(x, T + h); ctx.stroke();
    ctx.fillText(fmtAgo(tmax - t), x, T + h + 3);
  }
  ctx.strokeStyle = "#9aa5b1";
  ctx.strokeRect(L + 0.5, T + 0.5, w, h);
  // Lines.
  ctx.save();
  ctx.beginPath(); ctx.rect(L, T, w, h); ctx.clip();
  ctx.lineWidth = 1.5;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < s.t.length; i++) {
      if (s.t[i] < tmin && (i + 1 >= s.t.length || s.t[i + 1] < tmin)) continue;
      const x = X(s.t[i]), y = Y(s.v[i]);
      if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
      if (s.t[i] > tmax) break;
    }
    ctx.stroke();
  }
  ctx.restore();
  // Legend.
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  series.forEach((s, i) => {
    const x = L + (i % 3) * Math.floor(w / 3), y = T + h + 24 + 16 * Math.floor(i / 3);
    ctx.fillStyle = s.color;
    ctx.fillRect(x, y - 4, 10, 8);
    ctx.fillStyle = "#1b1f24";
    ctx.fillText(s.label || s.name, x + 14, y);
  });
  if (series.length === 0 && opts.empty) {
    ctx.fillStyle = "#667";
    ctx.textAlign = "center";
    ctx.fillText(opts.empty, L + w / 2, T + h / 2);
  }
}
