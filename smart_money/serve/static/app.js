// The smart-money page: plain JavaScript over the JSON API (no build step, no framework).
"use strict";

const $ = (id) => document.getElementById(id);
const UP = new Set(["bullish", "accumulation", "positive", "long"]);
const DOWN = new Set(["bearish", "distribution", "negative", "short"]);
const LABELS = {
  insider_activity: "Insiders (Form 4)",
  institutional_flow: "Institutions (13F)",
  congressional_sentiment: "Congress (STOCK Act)",
  hedge_fund_positioning: "Hedge funds (13F)",
};
let meta = null;

function text(el, value) { el.textContent = value == null ? "–" : String(value); }
function fmt(x, digits = 1) { return x == null ? "n/a" : Number(x).toFixed(digits); }

function showMessage(message, isError) {
  const box = $("message");
  box.hidden = !message;
  box.className = "message" + (isError ? " error" : "");
  box.textContent = message || "";
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return { status: response.status, body };
}

function point(angle, radius) {
  return [100 + radius * Math.cos(angle), 100 - radius * Math.sin(angle)];
}

function drawGauge(score) {
  const value = Math.max(0, Math.min(100, score));
  const angle = Math.PI * (1 - value / 100);
  const [x, y] = point(angle, 80);
  const [nx, ny] = point(angle, 66);
  $("gauge-arc").setAttribute("d", `M 20 100 A 80 80 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`);
  $("gauge-arc").style.stroke = value >= 50 ? "#16a34a" : "#dc2626";
  $("gauge-needle").setAttribute("x2", nx.toFixed(2));
  $("gauge-needle").setAttribute("y2", ny.toFixed(2));
  $("gauge").setAttribute("data-value", value.toFixed(1));
  text($("gauge-value"), value.toFixed(0));
}

function renderBreakdown(signals) {
  const box = $("breakdown");
  box.replaceChildren();
  for (const [category, value] of Object.entries(signals)) {
    const info = (meta && meta.categories[category]) || {};
    const card = document.createElement("div");
    card.className = "category" + (UP.has(value) ? " up" : DOWN.has(value) ? " down" : "");
    card.tabIndex = 0;
    card.dataset.category = category;
    card.title = info.description || "";
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = LABELS[category] || category;
    const val = document.createElement("div");
    val.className = "value";
    val.textContent = value;
    const tip = document.createElement("div");
    tip.className = "tooltip";
    tip.setAttribute("role", "tooltip");
    tip.textContent = info.description || "";
    card.append(name, val, tip);
    box.append(card);
  }
}

function renderPrediction(d) {
  drawGauge(d.conviction_score);
  text($("symbol-name"), `${d.symbol}${d.name ? " · " + d.name : ""}`);
  text($("call"), d.predicted_conviction);
  $("call").className = "call-label " + d.predicted_conviction;
  text($("confidence"), d.confidence);
  $("confidence").className = "badge " + d.confidence;
  text($("rules-score"), fmt(d.rules_score));
  text($("ml-score"), d.ml_score == null ? "n/a (rules only: no production model)" : fmt(d.ml_score));
  text($("probability"), d.probability == null ? "n/a" : (100 * d.probability).toFixed(1) + "%");
  text($("sample-date"), d.sample_date);
  text($("data-source"), d.data_source + (d.synthetic && d.data_source !== "synthetic" ? " (synthetic)" : ""));
  renderBreakdown(d.signals);
  renderReasons(d);
  $("result").hidden = false;
}

function item(className, content) {
  const li = document.createElement("li");
  li.className = className;
  li.textContent = content;
  return li;
}

const ARROWS = { raises: "▲", lowers: "▼", "does not move": "●" };

function renderReasons(d) {
  // the model's reasons: each feature's SHAP contribution to this prediction, with its direction
  const model = $("model-reasons");
  if (d.model_reasons.length) {
    model.replaceChildren(...d.model_reasons.map((r) => {
      const li = item("model-reason " + r.direction.replace(/ /g, "-"), "");
      li.dataset.feature = r.feature;
      li.dataset.direction = r.direction;
      li.dataset.contribution = String(r.contribution);
      const arrow = document.createElement("span");
      arrow.className = "arrow";
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = ARROWS[r.direction] + " ";
      li.append(arrow, r.text);
      return li;
    }));
  } else {
    model.replaceChildren(item("empty", "no production model: this prediction is the rules' alone"));
  }
  // the rules' reasons: one category each, next to the card of the same category above
  const rules = $("rule-reasons");
  if (d.rule_reasons.length) {
    rules.replaceChildren(...d.rule_reasons.map((r) => {
      const side = UP.has(r.signal) ? " up" : DOWN.has(r.signal) ? " down" : "";
      const li = item("rule-reason" + side, `${LABELS[r.category] || r.category}, ${r.signal}: ${r.text}`);
      li.dataset.category = r.category;
      li.dataset.code = r.code;
      return li;
    }));
  } else {
    rules.replaceChildren(item("empty", "no rule fired: every category is neutral or has no recent filings"));
  }
}

function renderTimeline(events) {
  const body = $("timeline").querySelector("tbody");
  body.replaceChildren();
  if (!events.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 4; td.textContent = "no insider, congressional or 13F activity in the window";
    tr.append(td); body.append(tr);
    return;
  }
  for (const e of events) {
    const tr = document.createElement("tr");
    tr.className = "event " + e.action;
    for (const v of [e.date, e.actor, e.detail, LABELS[e.category] || e.category]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    body.append(tr);
  }
}

// the API gives event times in UTC; the market trades 09:30-16:00 New York time, so show that clock
const NEW_YORK = new Intl.DateTimeFormat("sv-SE", {
  timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
function newYorkTime(utc) { return NEW_YORK.format(new Date(utc + "Z")); }

function renderOptions(flow) {
  const body = $("options-events").querySelector("tbody");
  body.replaceChildren();
  const events = flow ? flow.events : [];
  if (!flow) { text($("options-note"), "No options flow in this warehouse (the options_flow group has not run)."); }
  else if (flow.unavailable) { text($("options-note"), `Options flow unavailable: ${flow.unavailable}`); }
  if (!events.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 5; td.textContent = flow ? "no profiled options event in the window" : "n/a";
    tr.append(td); body.append(tr);
    return;
  }
  for (const e of events) {
    const tr = document.createElement("tr");
    tr.className = "option-event";
    tr.dataset.eventId = e.event_id;
    const why = [...e.reasons, ...e.structure_reasons].join(", ") +
      (e.suppressed_reasons.length ? ` (suppressed elsewhere: ${e.suppressed_reasons.join(", ")})` : "");
    for (const v of [newYorkTime(e.time), e.profile, e.direction, (100 * e.probability).toFixed(0) + "% " + e.confidence_band, why]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    body.append(tr);
  }
}

async function search(event) {
  if (event) event.preventDefault();
  const symbol = $("symbol-input").value.trim().toUpperCase();
  const date = $("date-input").value || undefined;
  showMessage("");
  const { status, body } = await api("/api/ml/smart-money-flow", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(date ? { symbol, date } : { symbol }),
  });
  if (status !== 200) {
    $("result").hidden = true;
    const message = body && body.error ? body.error.message : `request failed (${status})`;
    showMessage(message, status !== 503);
    return;
  }
  renderPrediction(body.data);
  renderOptions(body.data.options_flow);
  const query = date ? `?date=${date}` : "";
  const timeline = await api(`/api/symbols/${encodeURIComponent(symbol)}/activity${query}`);
  renderTimeline(timeline.status === 200 ? timeline.body.data.events : []);
  document.body.dataset.rendered = symbol;
}

async function loadMeta() {
  const { status, body } = await api("/api/meta");
  if (status !== 200) { text($("model-info"), "the server has no data yet"); return; }
  meta = body.data;
  $("synthetic-banner").hidden = !meta.synthetic;
  $("real-banner").hidden = meta.synthetic || meta.data_source === "none";
  text($("real-source"), meta.data_source);
  const empty = meta.empty_tables || [];
  text($("empty-tables"), empty.length
    ? `. Empty tables (no source for them; their features are missing): ${empty.join(", ")}`
    : "");
  const m = meta.model;
  const accuracy = m.accuracy == null ? "" : ` · test accuracy ${(100 * m.accuracy).toFixed(1)}%`;
  const auc = m.auc == null ? "" : ` · test AUC ${fmt(m.auc, 3)}`;
  text($("model-info"), `model ${m.version} (${m.algorithm})${accuracy}${auc} · ${meta.symbols} symbols · ` +
    `features to ${meta.latest_sample_date}`);
  $("model-info").dataset.version = m.version;
  text($("toggle-state"), meta.smart_money_flow ? "ON" : "OFF");
  const list = await api("/api/symbols?limit=100");
  if (list.status === 200) {
    $("symbol-list").replaceChildren(...list.body.data.map((s) => {
      const o = document.createElement("option"); o.value = s.symbol; o.label = s.name || ""; return o;
    }));
  }
  document.body.dataset.ready = "1";
}

function renderAudit(rows) {
  const body = $("admin-audit").querySelector("tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    const change = `${r.old_enabled ? "on" : "off"} → ${r.new_enabled ? "on" : "off"}`;
    for (const v of [r.changed_at, r.actor, change, r.reason]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    return tr;
  }));
}

function adminHeaders() {
  return { "Content-Type": "application/json", Authorization: `Bearer ${$("admin-token").value}` };
}

async function setToggle(enabled) {
  const reason = $("admin-reason").value.trim();
  if (!reason) { text($("admin-status"), "a reason is required"); return; }
  const { status, body } = await api("/api/admin/features/smart_money_flow", {
    method: "PUT", headers: adminHeaders(), body: JSON.stringify({ enabled, reason, actor: "web-admin" }),
  });
  if (status !== 200) { text($("admin-status"), body && body.error ? body.error.message : `failed (${status})`); return; }
  text($("toggle-state"), body.data.enabled ? "ON" : "OFF");
  text($("admin-status"), `saved: smart_money_flow is ${body.data.enabled ? "on" : "off"}`);
  renderAudit(body.audit);
}

async function loadAudit() {
  const { status, body } = await api("/api/admin/features", { headers: adminHeaders() });
  if (status !== 200) { text($("admin-status"), body && body.error ? body.error.message : `failed (${status})`); return; }
  renderAudit(body.audit);
  text($("admin-status"), `${body.audit.length} audit entries`);
}

$("search-form").addEventListener("submit", search);
$("admin-enable").addEventListener("click", () => setToggle(true));
$("admin-disable").addEventListener("click", () => setToggle(false));
$("admin-load").addEventListener("click", loadAudit);
loadMeta();
