// The gateway dashboard: polls status (relative to /_gateway/) and renders it with DOM calls
// only (textContent, never innerHTML), since plugins supply many of the strings shown.
"use strict";

const REFRESH_MS = 5000;
const SVG = "http://www.w3.org/2000/svg";
let paused = false;
let timer = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function badge(status) {
  return el("span", { class: `badge ${status}` }, status);
}

function number(value, digits = 2) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(2)} %`;
}

function flatten(value, prefix, out) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.push([prefix, Array.isArray(value) ? JSON.stringify(value) : String(value)]);
  }
  return out;
}

// A list of objects (a proxy's targets, say) is shown as a table of its own, a row each.
function isRows(value) {
  return Array.isArray(value) && value.length > 0
    && value.every((item) => item !== null && typeof item === "object" && !Array.isArray(item));
}

function rowsTable(name, items) {
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
  const text = (value) => (value === undefined ? "–" : typeof value === "object" ? JSON.stringify(value) : String(value));
  const rows = items.map((item) => el("tr", { "data-key": text(item[columns[0]]) },
    ...columns.map((column) => el("td", { "data-column": column }, text(item[column])))));
  return el("table", { class: "inner", "data-rows": name },
    el("caption", {}, name),
    el("thead", {}, el("tr", {}, ...columns.map((column) => el("th", { scope: "col" }, column)))),
    el("tbody", {}, ...rows));
}

function details(object) {
  const tables = Object.entries(object).filter(([, value]) => isRows(value));
  const rest = Object.fromEntries(Object.entries(object).filter(([, value]) => !isRows(value)));
  const pairs = flatten(rest, "", []);
  if (!pairs.length && !tables.length) return "–";
  const list = el("dl");
  for (const [key, value] of pairs) list.append(el("dt", {}, key), el("dd", {}, el("code", {}, value)));
  if (!tables.length) return list;
  return el("div", {}, pairs.length ? list : "", ...tables.map(([key, value]) => rowsTable(key, value)));
}

const ENTRY_KEYS = new Set(["componentType", "status", "time", "observedValue", "observedUnit", "output"]);

function renderHealth(health) {
  const rows = [];
  for (const [name, entries] of Object.entries(health.checks)) {
    for (const entry of entries) {
      const extra = Object.fromEntries(Object.entries(entry).filter(([key]) => !ENTRY_KEYS.has(key)));
      const observed = entry.observedValue === undefined ? "–" : `${number(entry.observedValue, 3)} ${entry.observedUnit || ""}`;
      const row = el("tr", { "data-check": name },
        el("th", { scope: "row" }, name),
        el("td", {}, badge(entry.status)),
        el("td", { class: "num" }, observed),
        el("td", {}, entry.output || "–"),
        el("td", {}, details(extra)));
      rows.push(row);
    }
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "5" }, "No plugin contributes a health check.")));
  $("checks").replaceChildren(...rows);
}

function chain(entries) {
  if (!entries || !entries.length) return el("span", { class: "muted" }, "none");
  return el("ol", { class: "chain" }, ...entries.map((m) => el("li", {}, `${m.name} (${m.priority})`)));
}

// An instance's own checks (its row's health), each with its status.
function instanceHealth(health) {
  if (!health) return "–";
  return el("ul", { class: "checks" }, ...Object.entries(health.checks).map(([name, entries]) =>
    el("li", { "data-check-of": name }, el("a", { href: "#health" }, name), " ", badge(entries[0].status))));
}

function renderPlugins(plugins, chains) {
  const rows = plugins.map((plugin) => {
    const settings = el("details", {}, el("summary", {}, "settings"), details(plugin.settings || {}));
    const status = el("span", { class: plugin.status === "failed" ? "fail" : "" }, plugin.status);
    const cells = [
      // The host's label: "billing (proxy)" for a named instance, as gateway plugins prints it.
      el("th", { scope: "row" }, plugin.label || plugin.name),
      el("td", {}, plugin.version || "–"),
      el("td", {}, plugin.source),
      el("td", {}, status, plugin.error ? el("div", { class: "error" }, plugin.error) : ""),
      el("td", {}, instanceHealth(plugin.health)),
      el("td", {}, plugin.prefix ? el("code", {}, plugin.prefix) : "–"),
      el("td", {}, plugin.prefix ? chain(chains[plugin.prefix]) : "–"),
      el("td", {}, settings),
    ];
    return el("tr", { "data-plugin": plugin.name }, ...cells);
  });
  $("plugin-rows").replaceChildren(...rows);
  const scopes = Object.entries(chains).map(([prefix, entries]) => el("tr", { "data-scope": prefix },
    el("th", { scope: "row" }, el("code", {}, prefix)), el("td", {}, chain(entries))));
  if (!scopes.length) scopes.push(el("tr", {}, el("td", { colspan: "2" }, "No plugin contributes a middleware.")));
  $("chains").replaceChildren(...scopes);
}

function renderTraffic(traffic, labels) {
  $("traffic-off").hidden = traffic.available;
  $("traffic-on").hidden = !traffic.available;
  if (!traffic.available) {
    $("traffic-off").textContent = traffic.reason;
    $("window").textContent = "";
    return;
  }
  $("window").textContent = `(last ${Math.round(traffic.window_seconds)} s)`;
  const rows = Object.entries(traffic.plugins).map(([name, p]) => el("tr", { "data-traffic": name },
    el("th", { scope: "row" }, labels[name] || name),
    el("td", { class: "num" }, number(p.requests, 0)),
    el("td", { class: "num" }, number(p.rate)),
    el("td", { class: "num" }, percent(p.error_rate)),
    el("td", { class: "num" }, percent(p.client_error_rate)),
    el("td", { class: "num" }, number(p.p50_ms)),
    el("td", { class: "num" }, number(p.p95_ms)),
    el("td", { class: "num" }, number(p.p99_ms))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "8" }, "No requests yet.")));
  $("rates").replaceChildren(...rows);
  drawChart(traffic.series);
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawChart(series) {
  const chart = $("chart");
  const keep = [$("chart-title"), $("chart-desc")];
  chart.replaceChildren(...keep);
  const W = 600, H = 200, left = 44, right = 48, top = 10, bottom = 22;
  const points = series.filter((s) => s.rate !== null);
  if (points.length < 2) {
    $("chart-desc").textContent = "Not enough samples yet.";
    chart.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "collecting samples…"));
    return;
  }
  const t0 = points[0].time, t1 = points[points.length - 1].time;
  const maxRate = Math.max(1, ...points.map((p) => p.rate));
  const maxP95 = Math.max(1, ...points.map((p) => p.p95_ms || 0));
  const x = (t) => left + ((t - t0) / Math.max(1, t1 - t0)) * (W - left - right);
  const y = (v, max) => top + (1 - v / max) * (H - top - bottom);
  chart.append(svg("line", { x1: left, y1: H - bottom, x2: W - right, y2: H - bottom }));
  chart.append(svg("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, number(maxRate, 1)));
  chart.append(svg("text", { x: left - 4, y: H - bottom, "text-anchor": "end" }, "0"));
  chart.append(svg("text", { x: W - right + 4, y: top + 8 }, `${number(maxP95, 1)} ms`));
  chart.append(svg("text", { x: left, y: H - 6 }, `${Math.round(t1 - t0)} s ago`));
  chart.append(svg("text", { x: W - right, y: H - 6, "text-anchor": "end" }, "now"));
  const line = (values, max, cls) => svg("polyline", {
    class: cls,
    points: values.map(([t, v]) => `${x(t).toFixed(1)},${y(v, max).toFixed(1)}`).join(" "),
  });
  chart.append(line(points.map((p) => [p.time, p.rate]), maxRate, "rate"));
  chart.append(line(points.filter((p) => p.p95_ms !== null).map((p) => [p.time, p.p95_ms]), maxP95, "p95"));
  const last = points[points.length - 1];
  $("chart-desc").textContent = `Now ${number(last.rate)} requests/s, p95 ${number(last.p95_ms)} ms; peak ${number(maxRate)} requests/s.`;
}

// Each cell gets its column's name, shown before it on narrow screens (dashboard.css).
function labelCells() {
  for (const table of document.querySelectorAll("table")) {
    // :scope: a table's own head and rows, not those of a table inside one of its cells.
    const names = [...table.querySelectorAll(":scope > thead th")].map((th) => th.textContent);
    for (const row of table.querySelectorAll(":scope > tbody > tr")) {
      [...row.children].forEach((cell, index) => {
        if (cell.tagName === "TD" && names[index]) cell.setAttribute("data-label", names[index]);
      });
    }
  }
}

async function refresh() {
  timer = null;
  try {
    const response = await fetch("status", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (response.status === 401) {
      // No session (or it expired): the sign-in page, which keeps the key out of the URL.
      window.location.assign("login");
      return;
    }
    if (!response.ok) throw new Error(`status answered ${response.status}`);
    const data = await response.json();
    $("version").textContent = `${data.version} · ${data.state}`;
    $("caller").hidden = !data.caller;
    $("caller-name").textContent = data.caller ? data.caller.name : "";
    const overall = $("overall");
    overall.textContent = data.health.status;
    overall.className = `badge ${data.health.status}`;
    $("updated").textContent = `updated ${new Date(data.generated_at).toLocaleTimeString()}`;
    renderHealth(data.health);
    // Traffic is by instance name; shown by the host's label, as in the plugins table.
    renderTraffic(data.traffic, Object.fromEntries(data.plugins.map((p) => [p.name, p.label || p.name])));
    renderPlugins(data.plugins, data.middlewares || {});
    labelCells();
    $("error").hidden = true;
  } catch (error) {
    $("error").textContent = `Could not update: ${error.message}. Retrying.`;
    $("error").hidden = false;
  }
  if (!paused) timer = setTimeout(refresh, REFRESH_MS);
}

$("pause").addEventListener("click", () => {
  paused = !paused;
  $("pause").setAttribute("aria-pressed", String(paused));
  $("pause").textContent = paused ? "Resume updates" : "Pause updates";
  if (!paused && timer === null) refresh();
  else if (paused && timer !== null) { clearTimeout(timer); timer = null; }
});

$("sign-out").addEventListener("click", async () => {
  // A same-origin POST (the browser sends Origin, which the sign-out checks).
  await fetch("logout", { method: "POST", cache: "no-store" });
  window.location.assign("login");
});

refresh();
