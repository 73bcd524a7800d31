// The live track record on the page (README: Live track record): the serving model's live hit rate beside
// its test accuracy under the header, and an admin section with predictions made, realized accuracy and
// AUC over time (a small SVG chart with the test AUC as a reference line) and the feature toggle's state.
// Plain JavaScript over GET /api/ml/track-record and GET /api/meta; independent of app.js.
"use strict";

(function () {
  const byId = (id) => document.getElementById(id);
  const pct = (x) => (x == null ? "n/a" : (100 * x).toFixed(1) + "%");
  const num = (x, d = 3) => (x == null ? "n/a" : Number(x).toFixed(d));
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs = {}, textContent = null) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (textContent != null) node.textContent = textContent;
    return node;
  }

  async function getJson(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (!response.ok || !body || !body.success) {
      const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
      throw new Error(`${path}: ${message}`);
    }
    return body;
  }

  function liveLine(record) {
    const box = byId("live-track");
    if (!box) return;
    const serving = record.serving;
    const synthetic = record.synthetic ? " (synthetic data)" : "";
    if (!serving.live) {
      box.textContent = `Live track record${synthetic}: no scored month yet for ${serving.version} · test accuracy ${pct(serving.test_accuracy)}`;
    } else {
      const live = serving.live;
      box.textContent =
        `Live hit rate${synthetic}: ${pct(live.hit_rate)} over ${live.months} month(s), ${live.rows} calls ` +
        `(through ${live.through}; volatility baseline ${pct(live.baseline_hit_rate)}) · test accuracy ${pct(serving.test_accuracy)}`;
      box.dataset.hitRate = String(live.hit_rate);
    }
    box.dataset.testAccuracy = String(serving.test_accuracy);
    box.hidden = false;
  }

  function chart(rows, testAuc) {
    const width = 520, height = 180, pad = 32;
    const svg = el("svg:svg", { id: "track-record-chart", viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": "realized AUC by sample month" });
    const values = rows.flatMap((r) => [r.auc, r.baseline_auc]).concat(testAuc == null ? [] : [testAuc]).filter((v) => v != null);
    const lo = Math.min(0.45, ...values), hi = Math.max(0.8, ...values);
    const x = (i) => pad + (rows.length < 2 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (rows.length - 1));
    const y = (v) => height - pad - ((v - lo) / (hi - lo)) * (height - 2 * pad);
    const line = (key, cls) => {
      const points = rows.map((r, i) => (r[key] == null ? null : `${x(i).toFixed(1)},${y(r[key]).toFixed(1)}`)).filter(Boolean);
      svg.appendChild(el("svg:polyline", { points: points.join(" "), class: cls, fill: "none" }));
    };
    if (testAuc != null) {
      svg.appendChild(el("svg:line", { x1: pad, x2: width - pad, y1: y(testAuc), y2: y(testAuc), class: "test-auc",
        stroke: "#1c2430", "stroke-dasharray": "4 3" }));
      svg.appendChild(el("svg:text", { x: width - pad, y: y(testAuc) - 4, "text-anchor": "end", "font-size": 10 }, `test AUC ${num(testAuc)}`));
    }
    line("auc", "model-auc");
    line("baseline_auc", "baseline-auc");
    svg.querySelector(".model-auc").setAttribute("stroke", "#1f4e8c");
    svg.querySelector(".baseline-auc").setAttribute("stroke", "#9ca3af");
    rows.forEach((r, i) => svg.appendChild(el("svg:text", { x: x(i), y: height - 10, "text-anchor": "middle", "font-size": 9 }, r.month)));
    return svg;
  }

  function panel(record, meta) {
    const box = byId("track-record-panel");
    if (!box) return;
    box.replaceChildren();
    box.appendChild(el("h3", {}, "Live track record" + (record.synthetic ? " (synthetic data)" : "")));
    const toggle = meta.smart_money_flow ? "on" : "off";
    box.appendChild(el("p", { id: "track-record-toggle" }, `Feature smart_money_flow is ${toggle}; serving model ${record.serving.version}.`));
    const made = Object.entries(record.predictions_made).map(([v, n]) => `${v}: ${n}`).join(" · ") || "none";
    box.appendChild(el("p", { id: "track-record-made" }, `Predictions made: ${made}`));
    const version = record.serving.version;
    const months = record.data.filter((r) => r.model_version === version && r.scope === "month");
    const cumulative = Object.fromEntries(
      record.data.filter((r) => r.model_version === version && r.scope === "cumulative").map((r) => [r.month, r]));
    if (!months.length) {
      box.appendChild(el("p", { class: "muted" }, "No live month scored yet: a month counts once its labels are complete and it is after the model's validation window."));
      box.hidden = false;
      return;
    }
    box.appendChild(chart(months, months[0].test_auc));
    const table = el("table", { id: "track-record-table" });
    const head = el("tr");
    for (const h of ["month", "calls", "hit rate", "baseline", "AUC", "baseline AUC", "cumulative AUC", "HIGH hit rate"]) head.appendChild(el("th", {}, h));
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    for (const r of months) {
      const tr = el("tr");
      for (const v of [r.month, r.rows, pct(r.accuracy), pct(r.baseline_accuracy), num(r.auc), num(r.baseline_auc),
        num((cumulative[r.month] || {}).auc), pct(r.hit_rate_high)]) tr.appendChild(el("td", {}, String(v)));
      body.appendChild(tr);
    }
    box.appendChild(table);
    box.hidden = false;
  }

  async function load() {
    try {
      const [record, meta] = await Promise.all([getJson("/api/ml/track-record"), getJson("/api/meta")]);
      liveLine(record);
      panel(record, meta.data);
    } catch (error) {
      const box = byId("live-track");
      if (box) { box.textContent = `Live track record unavailable: ${error.message}`; box.hidden = false; }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load);
  else load();
})();
