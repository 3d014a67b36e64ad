#include "admin/console_page.hpp"

namespace herald::admin {

const std::string_view kConsolePage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
button { margin-right: 4px; }
#status { color: #a00; min-height: 1.2em; }
.metrics { display: flex; flex-wrap: wrap; gap: 8px; }
.metric { border: 1px solid #ddd; border-radius: 4px; padding: 6px 10px; min-width: 12em; }
.metric b { display: block; font-size: 1.3em; }
</style>
</head>
<body>
<h1>Herald</h1>
<p>
<label>Token <input id="token" type="password" size="30" autocomplete="off"></label>
<button id="save">Use token</button>
<button id="refresh">Refresh</button>
<button id="flushall">Flush the queue</button>
</p>
<p id="status"></p>
<h2>Metrics</h2>
<div class="metrics" id="metrics"></div>
<h2>Transports</h2>
<table><thead><tr><th>Name</th><th>Type</th><th>Target</th><th>Delivered</th><th>Deferred</th>
<th>Failed</th></tr></thead><tbody id="transports"></tbody></table>
<h2>Why mail is deferred <small>(last 24 hours)</small></h2>
<table><thead><tr><th>Cause</th><th>Deferred or bounced</th><th>Latest explanation</th></tr>
</thead><tbody id="causes"></tbody></table>
<h2>Bulk mail <small>(the providers' rules, last 24 hours)</small></h2>
<table><thead><tr><th>Domain</th><th>Judged</th><th>Breaking a rule</th><th>Latest verdict</th>
</tr></thead><tbody id="compliance"></tbody></table>
<h2>Queue <span id="total"></span></h2>
<table><thead><tr><th>Id</th><th>Age</th><th>Sender</th><th>Pending</th><th>Next attempt</th>
<th>Last error</th><th></th></tr></thead><tbody id="queue"></tbody></table>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("herald-token") || "";

function status(text) { $("status").textContent = text; }

async function api(path, method) {
  const headers = token ? { "Authorization": "Bearer " + token } : {};
  const response = await fetch(path, { method: method || "GET", headers });
  if (response.status === 401) {
    throw new Error("a valid token is required: enter it above (without [admin] token, " +
                    "Herald keeps one in <spool_dir>/admin.token)");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).error; } catch (e) {}
    throw new Error(path + ": " + detail);
  }
  return response;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = String(text);
  if (cls) td.className = cls;
  return td;
}

function age(seconds) {
  if (seconds < 60) return seconds + "s";
  if (seconds < 3600) return Math.floor(seconds / 60) + "m";
  if (seconds < 86400) return Math.floor(seconds / 3600) + "h";
  return Math.floor(seconds / 86400) + "d";
}

const shown = [
  ["herald_messages_received_total", "Received"],
  ["herald_recipients_delivered_total", "Delivered"],
  ["herald_recipients_deferred_total", "Deferred"],
  ["herald_recipients_failed_total", "Failed"],
  ["herald_bounces_total", "Bounces"],
  ["herald_smtp_rejections_total", "Rejected"],
  ["herald_rate_limit_hits_total", "Rate-limit hits"],
  ["herald_queue_messages", "Queued"],
  ["herald_queue_oldest_age_seconds", "Oldest (s)"],
  ["herald_smtp_connections", "Connections now"],
];

async function loadMetrics() {
  const text = await (await api("/metrics")).text();
  const sums = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const name = line.split(/[{ ]/)[0];
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    sums.set(name, (sums.get(name) || 0) + value);
  }
  const box = $("metrics");
  box.replaceChildren();
  for (const [name, label] of shown) {
    const div = document.createElement("div");
    div.className = "metric";
    const b = document.createElement("b");
    b.textContent = String(sums.get(name) || 0);
    div.append(b, label);
    box.append(div);
  }
}

async function loadTransports() {
  const transports = await (await api("/api/transports")).json();
  const body = $("transports");
  body.replaceChildren();
  for (const t of transports) {
    const row = body.insertRow();
    cell(row, t.name); cell(row, t.type); cell(row, t.target);
    cell(row, t.delivered, "num"); cell(row, t.deferred, "num"); cell(row, t.failed, "num");
  }
}

function emptyRow(body, columns, text) {
  const td = body.insertRow().insertCell();
  td.colSpan = columns;
  td.textContent = text;
}

// What receivers said is wrong with the sender, and what the explainer found last for each
// cause; the compliance gate's verdicts per From: domain (docs/compliance.md).
async function loadDeliverability() {
  const summary = await (await api("/api/summary?since=1d")).json();
  const causes = $("causes");
  causes.replaceChildren();
  const explanations = summary.explanations || {};
  const counted = Object.entries(summary.causes || {});
  for (const [cause, count] of counted) {
    const row = causes.insertRow();
    cell(row, cause); cell(row, count, "num"); cell(row, explanations[cause] || "");
  }
  if (!counted.length) emptyRow(causes, 3, "No deferral named a problem of the sender's.");
  const compliance = $("compliance");
  compliance.replaceChildren();
  for (const c of summary.compliance || []) {
    const row = compliance.insertRow();
    cell(row, c.domain); cell(row, c.judged, "num"); cell(row, c.failing, "num");
    cell(row, c.latest);
  }
  if (!(summary.compliance || []).length) emptyRow(compliance, 4, "No bulk mail judged.");
}

async function act(id, action) {
  if ((action === "delete" || action === "bounce") &&
      !confirm(action + " message " + id + "?")) return;
  try {
    const path = id ? "/api/queue/" + encodeURIComponent(id) + "/" + action : "/api/queue/flush";
    const result = await (await api(path, "POST")).json();
    status(result.detail);
  } catch (e) { status(e.message); }
  refresh(false);
}

async function loadQueue() {
  const response = await api("/api/queue");
  const entries = await response.json();
  $("total").textContent = "(" + (response.headers.get("X-Total-Count") || entries.length) + ")";
  const body = $("queue");
  body.replaceChildren();
  for (const e of entries) {
    const row = body.insertRow();
    cell(row, e.id); cell(row, age(e.age_seconds), "num"); cell(row, "<" + e.sender + ">");
    cell(row, e.pending + "/" + e.recipients.length, "num");
    cell(row, e.next_attempt); cell(row, e.last_error);
    const actions = row.insertCell();
    for (const action of ["flush", e.held ? "release" : "hold", "delete", "bounce"]) {
      const button = document.createElement("button");
      button.textContent = action;
      button.addEventListener("click", () => act(e.id, action));
      actions.append(button);
    }
  }
}

// `asked`: the operator's refresh (the page opened, Refresh, a new token), which also clears
// the status line. Only then are the deliverability tables read: /api/summary reads the log
// files, too much for every 10 s.
async function refresh(asked) {
  try {
    const loads = [loadMetrics(), loadTransports(), loadQueue()];
    if (asked) loads.push(loadDeliverability());
    await Promise.all(loads);
    if (asked) status("");
  } catch (e) { status(e.message); }
}

$("token").value = token;
$("save").addEventListener("click", () => {
  token = $("token").value.trim();
  sessionStorage.setItem("herald-token", token);
  refresh(true);
});
$("refresh").addEventListener("click", () => refresh(true));
$("flushall").addEventListener("click", () => act("", "flush"));
refresh(true);
setInterval(() => refresh(false), 10000);
</script>
</body>
</html>
)html";

}  // namespace herald::admin
