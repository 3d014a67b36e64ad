// Herald's console: one page per hash route (#overview, #queue, #message/<id>, ...), each
// filled from the JSON API of docs/config.md. Everything that comes from mail (addresses,
// headers, replies) is attacker-controlled: it only ever enters the document as text
// (textContent, attributes set one by one), never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("herald-token") || "";

// -- talking to the server ----------------------------------------------------------------

class ApiError extends Error {}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, { method: options.method || "GET", headers,
                                       body: options.body });
  if (response.status === 401) {
    throw new ApiError("a valid token is required: enter it above (without [admin] token, " +
                       "Herald keeps one in <spool_dir>/admin.token)");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = body.error || body.message || detail;
    } catch (e) { /* not JSON: the status text says it */ }
    throw new ApiError(detail + " (" + response.status + ")");
  }
  return response;
}

const getJson = async (path) => (await api(path)).json();

async function postJson(path, body, method) {
  const response = await api(path, {
    method: method || "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status === 204 ? {} : response.json();
}

// Successes and errors look different (and say so in words, not colour alone).
function status(text, kind) {
  const line = $("status");
  line.textContent = text;
  line.className = text ? kind || "ok" : "";
}

function failed(e) { status(e.message, "error"); }

// -- building the document ------------------------------------------------------------------

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function cell(row, content, cls) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content);
  else td.textContent = content === undefined || content === null ? "" : String(content);
  if (cls) td.className = cls;
  return td;
}

function emptyRow(body, text) {
  const table = body.closest("table");
  const td = body.insertRow().insertCell();
  td.colSpan = table ? table.tHead.rows[0].cells.length : 1;
  td.className = "note";
  td.textContent = text;
}

function button(text, onClick, cls) {
  const b = el("button", { type: "button", class: cls || "" }, text);
  b.addEventListener("click", onClick);
  return b;
}

function badge(text, kind) { return el("span", { class: "badge " + (kind || text) }, text); }

function facts(dl, pairs) {
  dl.replaceChildren();
  for (const [term, value] of pairs) {
    dl.append(el("dt", {}, term), el("dd", {}, value instanceof Node ? value : String(value)));
  }
}

// -- times, told as people say them ---------------------------------------------------------

function spanOf(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
}

// "3 min ago" or "in 5 min", with the exact time in the title.
function timeText(iso) {
  const when = new Date(iso);
  if (!iso || Number.isNaN(when.getTime())) return el("span", {}, iso || "");
  const seconds = (when.getTime() - Date.now()) / 1000;
  const text = Math.abs(seconds) < 5 ? "just now"
             : seconds < 0 ? spanOf(seconds) + " ago" : "in " + spanOf(seconds);
  return el("time", { datetime: when.toISOString(), title: when.toISOString() }, text);
}

function ageText(seconds) {
  const since = new Date(Date.now() - seconds * 1000).toISOString();
  return el("time", { datetime: since, title: since }, spanOf(seconds));
}

// The log's "2026-12-03 09:00:00.123" is UTC.
function logTime(ts) { return timeText(ts.replace(" ", "T") + (ts.endsWith("Z") ? "" : "Z")); }

// -- pages ----------------------------------------------------------------------------------

const pages = {};
let refreshTimer = 0;

function route() {
  const hash = location.hash.replace(/^#/, "") || "overview";
  const [name, ...rest] = hash.split("/");
  return { name: pages[name] ? name : "overview", arg: decodeURIComponent(rest.join("/")) };
}

async function show(quiet) {
  const { name, arg } = route();
  for (const section of document.querySelectorAll("main > section")) {
    section.hidden = section.dataset.page !== name;
  }
  for (const link of document.querySelectorAll("#nav a")) {
    const target = link.getAttribute("href").slice(1);
    if (target === name || (name === "message" && target === "queue")) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  const heading = document.querySelector(`section[data-page="${name}"] h2`);
  document.title = (heading ? heading.textContent.trim() : name) + " · Herald";
  if (!token) {
    // Every call would be refused: ask first.
    status("Enter the admin token to begin (without [admin] token, Herald keeps one in " +
           "<spool_dir>/admin.token).", "info");
    $("token").focus();
    return;
  }
  try {
    await pages[name].load(arg);
    if (!quiet) status("");
  } catch (e) { failed(e); }
}

function navigate(quiet) {
  clearInterval(refreshTimer);
  show(quiet);
  const { name } = route();
  if (pages[name].live) refreshTimer = setInterval(() => show(true), 10000);
}

// Asks before something that cannot be undone; resolves to true when confirmed.
function confirmAction(text) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-cancel").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// -- overview -------------------------------------------------------------------------------

const tiles = [
  ["herald_messages_received_total", "Received"],
  ["herald_recipients_delivered_total", "Delivered"],
  ["herald_recipients_deferred_total", "Deferred"],
  ["herald_recipients_failed_total", "Failed"],
  ["herald_bounces_total", "Bounces sent"],
  ["herald_smtp_rejections_total", "Rejected"],
  ["herald_rate_limit_hits_total", "Rate-limit hits"],
  ["herald_queue_messages", "Queued"],
  ["herald_queue_oldest_age_seconds", "Oldest queued"],
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
  $("metrics").replaceChildren(...tiles.map(([name, label]) => {
    const value = sums.get(name) || 0;
    const shown = name.endsWith("_seconds") ? (value ? spanOf(value) : "none") : String(value);
    return el("div", { class: "metric", "data-metric": name }, el("b", {}, shown), label);
  }));
}

// The four series, each with a colour and a dash (not colour alone) that keep 3:1 on white.
const series = [
  ["received", "#0b57d0", ""],
  ["delivered", "#137333", "6 3"],
  ["deferred", "#8a5a00", "2 3"],
  ["bounced", "#b3261e", "8 3 2 3"],
];

function drawGraph(history) {
  const hours = Number($("graph-hours").value);
  const minutes = Math.min(hours * 60, history.received.length);
  const from = history.received.length - minutes;
  const start = new Date(history.start).getTime() + from * 60000;
  const width = 720, height = 240, left = 40, right = 10, top = 10, bottom = 24;
  let peak = 1;
  for (const [name] of series) peak = Math.max(peak, ...history[name].slice(from));
  const x = (i) => left + (i / Math.max(1, minutes - 1)) * (width - left - right);
  const y = (v) => top + (1 - v / peak) * (height - top - bottom);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-labelledby", "h-graph graph-caption");
  const line = (attributes) => {
    const node = document.createElementNS(ns, "line");
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    return node;
  };
  const label = (text, attributes) => {
    const node = document.createElementNS(ns, "text");
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    node.textContent = text;
    return node;
  };
  svg.append(line({ x1: left, x2: width - right, y1: y(0), y2: y(0), stroke: "#767676" }));
  svg.append(line({ x1: left, x2: left, y1: top, y2: y(0), stroke: "#767676" }));
  svg.append(label(String(peak), { x: left - 4, y: top + 10, "text-anchor": "end" }));
  svg.append(label("0", { x: left - 4, y: y(0), "text-anchor": "end" }));
  for (let h = 0; h <= hours; h++) {
    const i = Math.min(minutes - 1, h * 60);
    const when = new Date(start + i * 60000);
    const text = when.toTimeString().slice(0, 5);
    svg.append(label(text, { x: x(i), y: height - 6, "text-anchor": "middle" }));
  }
  const totals = [];
  const legend = el("ul", { class: "legend" });
  for (const [name, colour, dash] of series) {
    const counts = history[name].slice(from);
    const points = counts.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const path = document.createElementNS(ns, "polyline");
    path.setAttribute("points", points);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", colour);
    path.setAttribute("stroke-width", "2");
    if (dash) path.setAttribute("stroke-dasharray", dash);
    const sum = counts.reduce((a, b) => a + b, 0);
    path.dataset.series = name;
    path.dataset.sum = String(sum);
    svg.append(path);
    totals.push(`${sum} ${name}`);
    const swatch = el("i", { "aria-hidden": "true" });
    swatch.style.background = colour;
    legend.append(el("li", {}, swatch, `${name}: ${sum}`));
  }
  $("graph").replaceChildren(svg, legend);
  $("graph-caption").textContent =
    `Per minute over the last ${hours === 1 ? "hour" : hours + " hours"} ` +
    `(peak ${peak} a minute): ${totals.join(", ")}.`;
}

let lastHistory = null;

async function loadGraph() {
  lastHistory = await getJson("/api/history");
  drawGraph(lastHistory);
}

// What receivers said is wrong with the sender, and what the explainer found last for each
// cause; the compliance gate's verdicts per From: domain (docs/compliance.md). /api/summary
// reads the log files: only when the page is opened or refreshed, never every 10 s.
async function loadDeliverability() {
  const summary = await getJson("/api/summary?since=1d");
  const causes = $("causes");
  causes.replaceChildren();
  const explanations = summary.explanations || {};
  const counted = Object.entries(summary.causes || {});
  for (const [cause, count] of counted) {
    const row = causes.insertRow();
    cell(row, cause); cell(row, count, "num"); cell(row, explanations[cause] || "", "wrap");
  }
  if (!counted.length) emptyRow(causes, "No deferral named a problem of the sender's.");
  const compliance = $("compliance");
  compliance.replaceChildren();
  for (const c of summary.compliance || []) {
    const row = compliance.insertRow();
    cell(row, c.domain); cell(row, c.judged, "num"); cell(row, c.failing, "num");
    cell(row, c.latest, "wrap");
  }
  if (!(summary.compliance || []).length) emptyRow(compliance, "No bulk mail judged.");
}

let overviewLoaded = false;

pages.overview = {
  live: true,
  async load() {
    const loads = [loadMetrics(), loadGraph()];
    if (!overviewLoaded) loads.push(loadDeliverability().catch((e) => {
      // No mainlog yet is no error of the operator's.
      if (!String(e.message).includes("(404)")) throw e;
    }));
    overviewLoaded = true;
    await Promise.all(loads);
  },
};

// -- queue ----------------------------------------------------------------------------------

const queueState = { offset: 0, limit: 50, view: "messages" };

function queueFilter() {
  const params = new URLSearchParams();
  for (const field of $("queue-filter").elements) {
    if (field.name && field.value.trim()) params.set(field.name, field.value.trim());
  }
  return params;
}

function filterText(params) {
  const parts = [...params].map(([k, v]) => `${k} ${v}`);
  return parts.length ? "matching " + parts.join(", ") : "in the queue";
}

async function actOn(id, action) {
  if ((action === "delete" || action === "bounce") &&
      !(await confirmAction(`${action[0].toUpperCase() + action.slice(1)} message ${id}? ` +
                            "This cannot be undone."))) return false;
  const result = await postJson(`/api/queue/${encodeURIComponent(id)}/${action}`);
  status(`${id}: ${result.detail}`, "ok");
  return true;
}

async function bulk(action) {
  const params = queueFilter();
  const total = $("queue-total").dataset.total || "the";
  if (!(await confirmAction(`${action[0].toUpperCase() + action.slice(1)} every message ` +
                            `${filterText(params)} (${total} now)?`))) return;
  try {
    // Without a filter the server asks to be told "every message" in so many words.
    const query = [...params].length ? params.toString() : "all=yes";
    const result = await postJson(`/api/queue/${action}?${query}`);
    const touched = result.touched !== undefined ? result.touched : result.detail;
    status(`${action}: ${touched} message${touched === 1 ? "" : "s"} touched`, "ok");
  } catch (e) { failed(e); }
  await show(true);
}

async function loadMessages() {
  const params = queueFilter();
  params.set("limit", queueState.limit);
  params.set("offset", queueState.offset);
  const response = await api("/api/queue?" + params);
  const entries = await response.json();
  const total = Number(response.headers.get("X-Total-Count") || entries.length);
  // What the search matches; every message when there is no search.
  const matching = Number(response.headers.get("X-Matching-Count") || total);
  $("queue-total").textContent = matching === total ? `(${total})` : `(${matching} of ${total})`;
  $("queue-total").dataset.total = String(matching);
  const body = $("queue-rows");
  body.replaceChildren();
  for (const e of entries) {
    const row = body.insertRow();
    row.dataset.id = e.id;
    cell(row, el("a", { href: "#message/" + encodeURIComponent(e.id) }, e.id));
    cell(row, ageText(e.age_seconds), "num");
    cell(row, "<" + e.sender + ">");
    const recipients = cell(row, `${e.pending} of ${e.recipients.length} to go`);
    recipients.title = e.recipients.map((r) => `${r.address} (${r.state})`).join("\n");
    cell(row, e.held ? badge("held") : e.next_attempt === "now" ? "now"
                                      : timeText(e.next_attempt));
    cell(row, e.last_error, "wrap");
  }
  if (!entries.length) {
    emptyRow(body, [...queueFilter()].length ? "No message matches." : "The queue is empty.");
  }
  const first = entries.length ? queueState.offset + 1 : 0;
  $("page-info").textContent = `${first}–${queueState.offset + entries.length} of ${matching}`;
  $("page-prev").disabled = queueState.offset === 0;
  $("page-next").disabled = queueState.offset + entries.length >= matching;
}

async function loadCensus(view) {
  const census = await getJson("/api/census");
  const byDestination = view === "destinations";
  $("census-caption").textContent = byDestination
    ? "Recipients still to deliver, by recipient domain"
    : "Recipients still to deliver, by transport";
  $("census-name").textContent = byDestination ? "Domain" : "Transport";
  const body = $("census");
  body.replaceChildren();
  const rows = byDestination ? census.destinations : census.transports;
  for (const g of rows) {
    const row = body.insertRow();
    cell(row, g.name); cell(row, g.messages, "num"); cell(row, g.recipients, "num");
    cell(row, g.messages ? ageText(g.oldest_age_seconds) : "", "num");
    // "other" gathers the domains beyond the census's cap: it names no one domain.
    if (g.name !== "other" || !byDestination) {
      cell(row, button("Show messages", () => {
        $("queue-filter").reset();
        $(byDestination ? "f-domain" : "f-transport").value = g.name;
        setView("messages");
      }));
    } else {
      cell(row, "");
    }
  }
  if (!rows.length) emptyRow(body, "Nothing waits.");
}

function setView(view) {
  queueState.view = view;
  queueState.offset = 0;
  for (const v of ["messages", "destinations", "transports"]) {
    $("view-" + v).setAttribute("aria-pressed", String(v === view));
  }
  $("queue-messages").hidden = view !== "messages";
  $("queue-census").hidden = view === "messages";
  show(true);
}

pages.queue = {
  live: true,
  load() {
    return queueState.view === "messages" ? loadMessages() : loadCensus(queueState.view);
  },
};

// -- message detail -------------------------------------------------------------------------

function messageAction(id, action) {
  return button(action, async () => {
    try {
      if (!(await actOn(id, action))) return;
      if (action === "delete" || action === "bounce") {
        location.hash = "#queue";
        return;
      }
    } catch (e) { failed(e); return; }
    await show(true);
  }, action === "delete" || action === "bounce" ? "danger" : "");
}

pages.message = {
  async load(id) {
    $("message-id").textContent = id;
    let m;
    try {
      m = await getJson("/api/queue/" + encodeURIComponent(id));
    } catch (e) {
      for (const part of ["message-facts", "message-envelope", "message-recipients",
                          "message-trail", "message-events", "message-actions"]) {
        $(part).replaceChildren();
      }
      $("message-headers").textContent = "";
      throw new ApiError(`${id}: ${e.message} (delivered, deleted or bounced?)`);
    }
    $("message-actions").replaceChildren(
      ...["flush", m.held ? "release" : "hold", "bounce", "delete"].map(
        (action) => messageAction(id, action)));
    facts($("message-facts"), [
      ["Sender", "<" + m.sender + ">"],
      ["Arrived", timeText(m.arrival)],
      ["Size", m.size + " bytes"],
      ["State", m.held ? badge("held") : `${m.pending} of ${m.recipients.length} recipients to go`],
      ["Attempts", m.attempts],
      ["Next attempt", m.held ? "held" : m.next_attempt === "now" ? "now" : timeText(m.next_attempt)],
      ["Last error", m.last_error || "none"],
    ]);
    const env = m.envelope;
    facts($("message-envelope"), [
      ["Client", env.client_ip || "local"], ["HELO", env.helo || "-"],
      ["Protocol", env.protocol], ["Authenticated as", env.auth_user || "-"],
      ["SMTPUTF8", env.smtputf8 ? "yes" : "no"], ["8BITMIME", env.body_8bit ? "yes" : "no"],
    ]);
    const recipients = $("message-recipients");
    recipients.replaceChildren();
    for (const r of m.recipients) {
      const row = recipients.insertRow();
      cell(row, r.address); cell(row, badge(r.state));
      cell(row, r.last_reply || (r.state === "pending" ? m.last_error : ""), "wrap");
      cell(row, r.remote_host);
    }
    $("message-headers").textContent =
      m.headers + (m.headers_truncated ? "\n[... more headers not shown]" : "");
    const trail = $("message-trail");
    trail.replaceChildren();
    for (const l of m.trail) {
      const row = trail.insertRow();
      cell(row, logTime(l.ts)); cell(row, l.log); cell(row, l.line, "wrap");
    }
    if (!m.trail.length) emptyRow(trail, "No log line yet.");
    const events = $("message-events");
    events.replaceChildren();
    for (const e of m.events) {
      const row = events.insertRow();
      cell(row, timeText(e.time)); cell(row, e.type); cell(row, e.recipient);
      cell(row, e.reply || e.reason || e.action || "", "wrap");
    }
    if (!m.events.length) emptyRow(events, "No event kept in memory for this message.");
  },
};

// -- transports, routes and shaping ---------------------------------------------------------

function limitsText(p) {
  const parts = [];
  if (p.max_connections) parts.push(`${p.max_connections} connections`);
  if (p.max_messages_per_connection) parts.push(`${p.max_messages_per_connection} a connection`);
  if (p.max_messages_per_minute) parts.push(`${p.max_messages_per_minute}/min`);
  if (p.max_messages_per_hour) parts.push(`${p.max_messages_per_hour}/h`);
  if (p.max_messages_per_day) parts.push(`${p.max_messages_per_day}/day`);
  return parts.join(", ") || "none";
}

function sourceText(s) {
  const parts = [s.source + ":"];
  if (s.suspended_until) parts.push("suspended until " + s.suspended_until);
  if (s.rate_per_hour) parts.push(`${s.rate_per_hour}/h`);
  if (s.max_connections) parts.push(`${s.max_connections} connections`);
  if (s.relaxes_at) parts.push("relaxes " + s.relaxes_at);
  if (s.last_rule) parts.push(`(rule ${s.last_rule})`);
  if (s.sent_today !== undefined) parts.push(`${s.sent_today} sent today`);
  return parts.join(" ");
}

pages.transports = {
  live: true,
  async load() {
    const [transports, routes, shaping] = await Promise.all([
      getJson("/api/transports"), getJson("/api/routes"),
      getJson("/api/shaping").catch(() => ({ providers: [] }))]);
    const open = new Map();
    for (const p of shaping.providers) {
      for (const [transport, n] of Object.entries(p.connections || {})) {
        open.set(transport, (open.get(transport) || 0) + n);
      }
    }
    const body = $("transport-rows");
    body.replaceChildren();
    for (const t of transports) {
      const row = body.insertRow();
      cell(row, t.name); cell(row, t.type); cell(row, t.target);
      cell(row, t.delivered, "num"); cell(row, t.deferred, "num"); cell(row, t.failed, "num");
      cell(row, t.queued_recipients, "num");
      cell(row, t.queued_messages ? ageText(t.oldest_age_seconds) : "", "num");
      cell(row, open.get(t.name) || 0, "num");
    }
    const routeBody = $("routes");
    routeBody.replaceChildren();
    for (const r of routes) {
      const row = routeBody.insertRow();
      cell(row, r.sender); cell(row, r.transport);
    }
    if (!routes.length) emptyRow(routeBody, "No route: all mail takes the default transport.");
    const shapingBody = $("shaping");
    shapingBody.replaceChildren();
    for (const p of shaping.providers) {
      const row = shapingBody.insertRow();
      row.dataset.provider = p.name;
      cell(row, p.name); cell(row, limitsText(p));
      cell(row, Object.entries(p.connections || {}).map(([t, n]) => `${t}: ${n}`).join(", ") || "0");
      const sources = p.sources || [];
      cell(row, sources.map(sourceText).join("\n") || "nothing", "wrap");
      cell(row, sources.length ? button("Reset", async () => {
        if (!(await confirmAction(`End every reaction to ${p.name}'s replies now?`))) return;
        try {
          const result = await postJson(`/api/shaping/${encodeURIComponent(p.name)}/reset`);
          status(result.detail, "ok");
        } catch (e) { failed(e); }
        await show(true);
      }) : "");
    }
  },
};

// -- DKIM -----------------------------------------------------------------------------------

pages.dkim = {
  async load() {
    const keys = await getJson("/api/dkim");
    const box = $("dkim-keys");
    box.replaceChildren();
    for (const k of keys) {
      const verdict = k.dns ? el("span", {}, badge(k.dns.level), " ", k.dns.detail)
                            : el("span", {}, "Signs for every domain: check each on the Doctor page.");
      const section = el("section", { class: "dkim-key", "aria-label": `${k.selector} for ${k.domain}` },
        el("h3", {}, `${k.domain} · selector ${k.selector}`));
      const dl = el("dl", { class: "facts" });
      facts(dl, [["Key file", k.private_key], ["Algorithm", k.algorithm || "-"],
                 ["DNS", verdict]]);
      section.append(dl);
      if (k.error) section.append(el("p", { class: "badge FAIL" }, k.error));
      if (k.record) {
        section.append(el("p", {}, "The TXT record to publish:"),
                       el("pre", { class: "dkim-record" }, k.zone_line || k.record));
      }
      box.append(section);
    }
    if (!keys.length) {
      box.append(el("p", {}, "No [[dkim.key]] is configured: make one with herald dkim keygen."));
    }
  },
};

// -- doctor ---------------------------------------------------------------------------------

let doctorDomains = null;

async function runDoctor(domain) {
  const params = new URLSearchParams({ domain });
  if ($("doctor-ip").value.trim()) params.set("ip", $("doctor-ip").value.trim());
  if ($("doctor-selector").value.trim()) params.set("selector", $("doctor-selector").value.trim());
  $("doctor-caption").textContent = `Checking ${domain}…`;
  const report = await getJson("/api/doctor?" + params);
  const body = $("doctor-rows");
  body.replaceChildren();
  for (const f of report.findings) {
    const row = body.insertRow();
    cell(row, badge(f.level)); cell(row, f.check); cell(row, f.detail, "wrap");
  }
  $("doctor-caption").textContent = `${domain}: ` +
    (report.failed ? "something fails (below, with the fix)" : "nothing fails");
}

pages.doctor = {
  async load() {
    if (doctorDomains) return;
    // The sender domains Herald knows of: those it signs for and those with a route.
    const [keys, routes] = await Promise.all([getJson("/api/dkim"), getJson("/api/routes")]);
    const routed = routes.map((r) => r.sender.slice(r.sender.indexOf("@") + 1));
    doctorDomains = [...new Set([...keys.map((k) => k.domain), ...routed])]
      .filter((d) => d && !d.includes("*"));
    $("doctor-domains").replaceChildren(...doctorDomains.map((d) => el("option", { value: d })));
    $("doctor-domain-buttons").replaceChildren(...doctorDomains.map((d) => button(d, () => {
      $("doctor-domain").value = d;
      runDoctor(d).catch(failed);
    })));
  },
};

// -- relay summary and trace ----------------------------------------------------------------

function summaryTable(title, rows, key) {
  const table = el("table");
  table.createCaption().textContent = title;
  const head = table.createTHead().insertRow();
  for (const name of [key === "ip" ? "Client IP" : key === "user" ? "User" : "Sender",
                      "Messages", "Recipients", "Delivered", "Deferred", "Bounced",
                      "Distinct recipients", "Peak an hour", "Flags"]) {
    head.append(el("th", { scope: "col" }, name));
  }
  const body = table.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    cell(row, r[key]);
    for (const n of ["messages", "recipients", "delivered", "deferred", "bounced",
                     "distinct_recipients", "peak_per_hour"]) cell(row, r[n], "num");
    cell(row, r.flags.join(", "), "flags");
  }
  if (!rows.length) emptyRow(body, "None.");
  return el("div", { class: "scroll" }, table);
}

async function loadSummary() {
  const params = new URLSearchParams({ since: $("summary-since").value });
  if ($("summary-sender").value.trim()) params.set("sender", $("summary-sender").value.trim());
  let s;
  try {
    s = await getJson("/api/summary?" + params);
  } catch (e) {
    if (!String(e.message).includes("(404)")) throw e;
    $("summary-total").textContent = "No mainlog yet: nothing to summarise.";
    $("summary-tables").replaceChildren();
    return;
  }
  const t = s.total;
  $("summary-total").textContent = `${t.messages} messages to ${t.recipients} recipients: ` +
    `${t.delivered} delivered, ${t.deferred} deferrals, ${t.bounced} bounced.` +
    (s.unreadable.length ? " Unreadable: " + s.unreadable.join(", ") : "");
  $("summary-tables").replaceChildren(summaryTable("By sender", s.senders, "sender"),
                               summaryTable("By authenticated user", s.users, "user"),
                               summaryTable("By client IP", s.client_ips, "ip"));
}

async function runTrace() {
  const q = $("trace-q").value.trim();
  const result = await getJson("/api/trace?q=" + encodeURIComponent(q));
  const body = $("trace");
  body.replaceChildren();
  for (const l of result.lines) {
    const row = body.insertRow();
    cell(row, logTime(l.ts)); cell(row, l.log); cell(row, l.line, "wrap");
  }
  if (!result.lines.length) emptyRow(body, `No log line names ${q}.`);
}

pages.summary = { load: loadSummary };

// -- bounces and suppressions ---------------------------------------------------------------

async function loadSuppressions() {
  const domain = $("sup-list-domain").value.trim();
  const params = new URLSearchParams({ limit: "200" });
  if (domain) params.set("domain", domain);
  const listing = await getJson("/api/v1/suppressions?" + params);
  const body = $("suppressions");
  body.replaceChildren();
  for (const s of listing.entries) {
    const row = body.insertRow();
    row.dataset.address = s.address;
    cell(row, s.address); cell(row, s.domain || "every sender"); cell(row, s.reason, "wrap");
    cell(row, s.source); cell(row, timeText(s.created));
    cell(row, button("Remove", async () => {
      if (!(await confirmAction(`Let mail to ${s.address} through again?`))) return;
      const query = new URLSearchParams({ address: s.address });
      if (s.domain && s.domain !== "*") query.set("domain", s.domain);
      try {
        await postJson("/api/v1/suppressions?" + query, undefined, "DELETE");
        status(`${s.address} is no longer suppressed`, "ok");
      } catch (e) { failed(e); }
      await loadSuppressions().catch(failed);
    }, "danger"));
  }
  if (!listing.entries.length) emptyRow(body, "The list is empty.");
}

// -- cluster -----------------------------------------------------------------------------

pages.cluster = {
  live: true,
  async load() {
    const c = await getJson("/api/cluster");
    const body = $("cluster-nodes");
    body.replaceChildren();
    if (!c.cluster) {
      $("cluster-link").textContent = "This node runs alone: no [cluster] in its config.";
      emptyRow(body, "No other node.");
      return;
    }
    $("cluster-link").replaceChildren(
      `This node is ${c.node}; Redis ${c.redis} is `,
      badge(c.up ? "up" : "unreachable", c.up ? "ok" : "error"),
      c.up ? "" : " (limits are counted on this node alone until it is back)",
      c.error ? ` ${c.error}` : "");
    for (const n of c.nodes) {
      const row = body.insertRow();
      cell(row, n.node); cell(row, badge(n.alive ? "alive" : "gone", n.alive ? "ok" : "error"));
      cell(row, timeText(n.last_seen)); cell(row, n.queued, "num"); cell(row, n.version);
      cell(row, timeText(n.started));
    }
    if (!c.nodes.length) emptyRow(body, "No node has written to Redis yet.");
  },
};

pages.bounces = {
  live: true,
  async load() {
    const events = await getJson("/api/events?type=bounced,expired,complaint,suppressed&limit=200");
    const body = $("bounce-rows");
    body.replaceChildren();
    for (const e of events) {
      const row = body.insertRow();
      cell(row, timeText(e.time)); cell(row, e.type); cell(row, e.recipient);
      cell(row, e.sender === undefined ? "" : "<" + e.sender + ">");
      cell(row, e.reply || e.reason || "", "wrap");
    }
    if (!events.length) emptyRow(body, "No bounce since Herald started.");
    await loadSuppressions();
  },
};

// -- wiring ---------------------------------------------------------------------------------

function onSubmit(id, handler) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await handler(); } catch (e) { failed(e); }
  });
}

function start() {
  $("token").value = token;
  // On a phone the search form would fill the screen before the queue: folded until asked.
  if (matchMedia("(max-width: 600px)").matches) $("queue-search").open = false;
  onSubmit("token-form", async () => {
    token = $("token").value.trim();
    sessionStorage.setItem("herald-token", token);
    overviewLoaded = false;
    doctorDomains = null;
    await show(false);
  });
  $("refresh").addEventListener("click", () => {
    overviewLoaded = false;
    show(false);
  });
  $("graph-hours").addEventListener("change", () => { if (lastHistory) drawGraph(lastHistory); });
  for (const view of ["messages", "destinations", "transports"]) {
    $("view-" + view).addEventListener("click", () => setView(view));
  }
  onSubmit("queue-filter", async () => {
    queueState.offset = 0;
    await loadMessages();
  });
  $("queue-filter").addEventListener("reset", () => {
    queueState.offset = 0;
    setTimeout(() => show(true));  // after the fields are cleared
  });
  $("page-prev").addEventListener("click", () => {
    queueState.offset = Math.max(0, queueState.offset - queueState.limit);
    show(true);
  });
  $("page-size").addEventListener("change", () => {
    queueState.limit = Number($("page-size").value);
    queueState.offset = 0;
    show(true);
  });
  $("page-next").addEventListener("click", () => {
    queueState.offset += queueState.limit;
    show(true);
  });
  for (const b of document.querySelectorAll("[data-bulk]")) {
    b.addEventListener("click", () => bulk(b.dataset.bulk));
  }
  onSubmit("doctor-form", () => runDoctor($("doctor-domain").value.trim()));
  onSubmit("summary-form", loadSummary);
  onSubmit("trace-form", runTrace);
  onSubmit("suppress-form", async () => {
    const entry = { address: $("sup-address").value.trim() };
    if ($("sup-domain").value.trim()) entry.domain = $("sup-domain").value.trim();
    if ($("sup-reason").value.trim()) entry.reason = $("sup-reason").value.trim();
    await postJson("/api/v1/suppressions", entry);
    status(`${entry.address} is suppressed` + (entry.domain ? ` for ${entry.domain}` : ""), "ok");
    $("sup-list-domain").value = entry.domain || "";
    await loadSuppressions();
  });
  onSubmit("suppress-list-form", loadSuppressions);
  window.addEventListener("hashchange", () => {
    navigate(true);
    $("main").focus();
  });
  navigate(false);
}

start();
