// The live dashboard: sign in, open alerts kept current over graphql-transport-ws, who is on
// call, Accept and Resolve. It uses only the public GraphQL API. All text from the server goes
// into the page through textContent, never as markup.

import { LiveClient } from "./gqlws.js";
import { hideSetupWarnings, showSetupWarnings } from "./setup_warnings.js";

const TOKEN_KEY = "pagerline.token";
const OPEN_STATUSES = new Set(["PENDING", "ACCEPTED"]);
const ON_CALL_REFRESH_MS = 60_000;
const NOTIFICATIONS_SHOWN = 20;
// An alert brings its newest timeline entries; older ones load a page at a time on request, so
// a flapping check's 100,000 repeats cost the page no more than ten do.
const TIMELINE_FIRST = 20;
const TIMELINE_OLDER = 50;

const TIMELINE_FIELDS = "edges { node { id kind text at } } pageInfo { hasNextPage endCursor }";
const ALERT_FIELDS = `id summary status priority alertKey createdAt source { name } timeline(first: ${TIMELINE_FIRST}) { ${TIMELINE_FIELDS} }
  notifications { id channel status createdAt sentAt user { name } }
  links { href text } images { src href alt } labels { key value } customDetails`;
// Only these become clickable; anything else a source sent (javascript:, data:, ...) stays text.
const LINK_SCHEMES = new Set(["http:", "https:"]);
const DASHBOARD = `query Dashboard {
  me { name }
  alerts(status: [PENDING, ACCEPTED], first: 100) { edges { node { ${ALERT_FIELDS} } } }
}`;
const ALERT_FEED = `subscription AlertFeed { alertEvents { kind alert { ${ALERT_FIELDS} } } }`;
const OLDER_ENTRIES = `query OlderEntries($id: ID!, $after: String) {
  alert(id: $id) { timeline(first: ${TIMELINE_OLDER}, after: $after) { ${TIMELINE_FIELDS} } } }`;
const ON_CALL = `query OnCallNow {
  onCall { schedule { name } user { name } }
  onCallByPolicy { policyName level users { name } }
}`;
const LOGOUT = "mutation Logout { logout }";
const REQUEST_COVERAGE = `mutation RequestCoverage($start: DateTime!, $end: DateTime!, $message: String!, $schedules: [ID!]) {
  requestCoverage(start: $start, end: $end, message: $message, scheduleIds: $schedules) { id status } }`;
const LOGIN = "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token user { name } } }";
const ACTIONS = {
  accept: `mutation Accept($id: ID!) { acceptAlert(id: $id) { ${ALERT_FIELDS} } }`,
  resolve: `mutation Resolve($id: ID!) { resolveAlert(id: $id) { ${ALERT_FIELDS} } }`,
};

const $ = (id) => document.getElementById(id);
const alertElement = (id) => $("alerts").querySelector(`[data-alert-id="${id}"]`);

// ---------------------------------------------------------------------------- GraphQL over HTTP

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function graphql(query, variables = {}) {
  const headers = { "Content-Type": "application/json" };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json().catch(() => ({}));
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new ApiError(first.message, first.extensions?.code);
  }
  if (!response.ok || !body.data) throw new ApiError(`The server answered ${response.status}`, "HTTP");
  return body.data;
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

// ---------------------------------------------------------------------------- open alerts

// id -> {alert, timeline, touched}. Every change to an alert adds a timeline entry, so of two
// copies the one whose newest entry has the larger id is newer: a late answer never overwrites
// a newer event. `timeline` is what the page shows of it: {entries (newest first), endCursor,
// hasOlder}, older pages included. `touched` says when a copy was last written, so a refetch
// that started before an event arrived does not drop the alert that event brought in.
const alerts = new Map();
// Resolved is final (a new event opens a new alert), so a late snapshot cannot bring one back.
const resolved = new Set();
let clock = 0;

function upsert(alert, touched = ++clock) {
  const id = Number(alert.id);
  if (alert.status === "RESOLVED") resolved.add(id);
  if (!OPEN_STATUSES.has(alert.status) || resolved.has(id)) {
    remove(id);
    return;
  }
  const known = alerts.get(id);
  if (known && newestEntryId(alert) < newestEntryId(known.alert)) return;
  const timeline = joinTimeline(known?.timeline, alert.timeline);
  alerts.set(id, { alert, timeline, touched: Math.max(touched, known?.touched ?? 0) });
  renderAlert(alert, timeline);
  renderCount();
  renderNotifications();
}

function newestEntryId(alert) {
  return Number(alert.timeline.edges[0]?.node.id ?? 0);
}

/** The newest page just received, plus the older pages loaded before when they join it with no
 * gap (more entries may have arrived in between than one page holds: then only the new page). */
function joinTimeline(kept, page) {
  const entries = page.edges.map((edge) => edge.node);
  const fresh = { entries, endCursor: page.pageInfo.endCursor, hasOlder: page.pageInfo.hasNextPage };
  if (!kept || !fresh.hasOlder) return fresh;
  const oldestNew = Number(entries.at(-1).id);
  const older = kept.entries.filter((entry) => Number(entry.id) < oldestNew);
  const joins = kept.entries.length > 0 && Number(kept.entries[0].id) >= oldestNew;
  if (!joins || older.length === 0) return fresh;
  return { entries: [...entries, ...older], endCursor: kept.endCursor, hasOlder: kept.hasOlder };
}

/** "Load older entries": the next page back from the oldest entry shown. */
async function loadOlder(id, button) {
  const asked = alerts.get(id)?.timeline;
  if (!asked?.hasOlder) return;
  button.disabled = true;
  try {
    const data = await graphql(OLDER_ENTRIES, { id: String(id), after: asked.endCursor });
    const current = alerts.get(id);
    // Gone, or its timeline was replaced while we waited: this page no longer joins it.
    if (!current || !data.alert || current.timeline.endCursor !== asked.endCursor) return;
    const page = data.alert.timeline;
    current.timeline = {
      entries: [...current.timeline.entries, ...page.edges.map((edge) => edge.node)],
      endCursor: page.pageInfo.endCursor,
      hasOlder: page.pageInfo.hasNextPage,
    };
    renderTimeline(alertElement(id), current.timeline);
  } catch (error) {
    showMessage(`Could not load older entries of alert #${id}: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function remove(id) {
  alerts.delete(id);
  alertElement(id)?.remove();
  renderCount();
  renderNotifications();
}

/** The open alerts as the server sees them now, applied without undoing newer events. */
function applySnapshot(list, startedAt) {
  const listed = new Set(list.map((a) => Number(a.id)));
  for (const [id, entry] of alerts) {
    if (!listed.has(id) && entry.touched <= startedAt) remove(id); // resolved while we were away
  }
  for (const alert of list) upsert(alert, startedAt);
}

function renderAlert(alert, timeline) {
  const id = Number(alert.id);
  let item = alertElement(id);
  if (!item) {
    item = $("alert-template").content.firstElementChild.cloneNode(true);
    item.dataset.alertId = String(id);
    item.querySelector(".accept").addEventListener("click", () => act("accept", id, item));
    item.querySelector(".resolve").addEventListener("click", () => act("resolve", id, item));
    const older = item.querySelector(".load-older");
    older.addEventListener("click", () => loadOlder(id, older));
    insertNewestFirst(item, id);
  }
  const text = (selector, value) => {
    item.querySelector(selector).textContent = value;
  };
  text(".alert-number", `#${id}`);
  text(".alert-summary", alert.summary);
  text(".alert-source", alert.source?.name ?? "unknown source");
  const status = item.querySelector(".alert-status");
  status.textContent = alert.status;
  status.dataset.status = alert.status;
  const priority = item.querySelector(".alert-priority");
  priority.textContent = alert.priority;
  priority.dataset.priority = alert.priority;
  const created = item.querySelector(".alert-created");
  created.dateTime = alert.createdAt;
  created.textContent = formatTime(alert.createdAt);
  const latest = timeline.entries[0];
  text(".alert-latest", latest ? `${formatTime(latest.at)}: ${latest.text}` : "");
  item.querySelector(".accept").hidden = alert.status !== "PENDING";
  for (const button of item.querySelectorAll(".alert-actions button")) {
    button.setAttribute("aria-label", `${button.textContent} alert #${id}: ${alert.summary}`);
  }
  item.querySelector(".load-older").setAttribute("aria-label", `Load older timeline entries of alert #${id}`);
  renderLinks(item.querySelector(".alert-links"), alert);
  renderLabels(item.querySelector(".alert-labels"), alert.labels);
  renderCustomDetails(item.querySelector(".alert-details"), alert.customDetails);
  renderTimeline(item, timeline);
  if (location.hash === `#/alerts/${id}` && !item.classList.contains("linked")) showLinked(item);
}

/** Alert links (`alertUrl` in event answers, notifications) end in #/alerts/<id>: open that one. */
function showLinked(item) {
  for (const other of document.querySelectorAll(".alert.linked")) other.classList.remove("linked");
  item.classList.add("linked");
  item.querySelector(".alert-timeline").open = true;
  item.scrollIntoView({ block: "center" });
}

function insertNewestFirst(item, id) {
  const list = $("alerts");
  const after = [...list.children].find((other) => Number(other.dataset.alertId) < id);
  list.insertBefore(item, after ?? null);
}

/** An http(s) URL as a string, or null: what may go into an href. */
function safeHref(raw) {
  try {
    const url = new URL(raw);
    return LINK_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** The source's links (runbook, graph, silence, ...) and images, as links; a link with another
 * scheme is shown as text. Images are linked, not loaded: the page loads nothing from elsewhere. */
function renderLinks(list, alert) {
  const entries = [
    ...alert.links.map((link) => ({ href: link.href, label: link.text || link.href })),
    ...alert.images.map((image) => ({ href: image.href || image.src, label: `Image: ${image.alt || image.src}` })),
  ];
  list.hidden = entries.length === 0;
  list.replaceChildren(
    ...entries.map(({ href, label }) => {
      const item = document.createElement("li");
      const safe = safeHref(href);
      if (safe) {
        const anchor = document.createElement("a");
        anchor.href = safe;
        anchor.target = "_blank";
        anchor.rel = "noopener noreferrer";
        anchor.textContent = label;
        item.append(anchor);
      } else {
        item.textContent = label === href ? href : `${label} (${href})`;
      }
      return item;
    }),
  );
}

function renderLabels(list, labels) {
  list.hidden = labels.length === 0;
  list.replaceChildren(
    ...labels.map(({ key, value }) => {
      const item = document.createElement("li");
      item.textContent = `${key}=${value}`;
      return item;
    }),
  );
}

function renderCustomDetails(details, custom) {
  const empty = custom === null || (typeof custom === "object" && Object.keys(custom).length === 0);
  details.hidden = empty;
  details.querySelector(".alert-custom-details").textContent = empty ? "" : JSON.stringify(custom, null, 2);
}

/** Oldest first, as a story reads; "Load older entries" above it while there are more. */
function renderTimeline(item, timeline) {
  item.querySelector(".load-older").hidden = !timeline.hasOlder;
  item.querySelector(".timeline").replaceChildren(
    ...[...timeline.entries].reverse().map((entry) => {
      const row = document.createElement("li");
      const at = document.createElement("time");
      at.dateTime = entry.at;
      at.textContent = formatTime(entry.at);
      const what = document.createElement("span");
      what.textContent = entry.text;
      row.dataset.kind = entry.kind;
      row.dataset.entryId = entry.id;
      row.append(at, " ", what);
      return row;
    }),
  );
}

function renderCount() {
  $("alert-count").textContent = `(${alerts.size})`;
  $("no-alerts").hidden = alerts.size > 0;
}

/** The newest notifications across the open alerts, newest first. */
function renderNotifications() {
  const newest = [...alerts.values()]
    .flatMap(({ alert }) => alert.notifications.map((notification) => ({ notification, alert })))
    .sort((a, b) => Number(b.notification.id) - Number(a.notification.id))
    .slice(0, NOTIFICATIONS_SHOWN);
  $("no-notifications").hidden = newest.length > 0;
  $("notifications").replaceChildren(
    ...newest.map(({ notification, alert }) => {
      const item = document.createElement("li");
      item.dataset.alertId = alert.id;
      item.dataset.status = notification.status;
      const who = notification.user?.name ?? "someone";
      const when = document.createElement("time");
      when.dateTime = notification.sentAt ?? notification.createdAt;
      when.textContent = formatTime(when.dateTime);
      const what = document.createElement("span");
      what.textContent = `${notification.channel} to ${who} · ${notification.status} · #${alert.id} ${alert.summary}`;
      item.append(when, " ", what);
      return item;
    }),
  );
}

function formatTime(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

async function act(action, id, item) {
  const buttons = item.querySelectorAll(".alert-actions button");
  for (const button of buttons) button.disabled = true;
  try {
    const data = await graphql(ACTIONS[action], { id: String(id) });
    upsert(Object.values(data)[0]);
    showMessage("");
  } catch (error) {
    showMessage(`Could not ${action} alert #${id}: ${error.message}`);
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

// ---------------------------------------------------------------------------- on call

function renderOnCall(data) {
  const rows = [
    ...data.onCall.map((entry) => [entry.schedule.name, entry.user ? entry.user.name : "nobody (gap)"]),
    ...data.onCallByPolicy
      .filter((level) => level.level === 1)
      .map((level) => [`${level.policyName}, level 1`, level.users.map((u) => u.name).join(", ") || "nobody"]),
  ];
  const list = $("oncall");
  if (!rows.length) rows.push(["", "Nobody is on call."]);
  list.replaceChildren(
    ...rows.map(([where, who]) => {
      const item = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = who;
      item.append(name);
      if (where) item.append(` (${where})`);
      return item;
    }),
  );
}

// ---------------------------------------------------------------------------- session

let live = null;
let onCallTimer = 0;

async function refresh() {
  const startedAt = ++clock;
  try {
    const [dashboard, onCall] = await Promise.all([graphql(DASHBOARD), graphql(ON_CALL)]);
    $("user-name").textContent = dashboard.me.name;
    applySnapshot(
      dashboard.alerts.edges.map((edge) => edge.node),
      startedAt,
    );
    renderOnCall(onCall);
    showSetupWarnings(graphql);
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") signOut("Your session has ended; please sign in again.");
    else showMessage(`Could not load the dashboard: ${error.message}`);
  }
}

async function refreshOnCall() {
  try {
    renderOnCall(await graphql(ON_CALL));
  } catch (error) {
    showMessage(`Could not load who is on call: ${error.message}`);
  }
}

function setConnection(state, text) {
  const line = $("connection");
  line.dataset.state = state;
  line.textContent = text;
  line.hidden = false;
}

function showDashboard() {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("whoami").hidden = false;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  live = new LiveClient(`${scheme}://${location.host}/graphql`, localStorage.getItem(TOKEN_KEY), {
    onStatus: setConnection,
    onConnected: refresh, // first load and every reconnect: catch up on what was missed
    onRejected: () => signOut("Your session has ended; please sign in again."),
    onError: (errors) => showMessage(`Live updates failed: ${errors.map((e) => e.message).join("; ")}`),
  });
  live.subscribe(ALERT_FEED, {}, (payload) => {
    if (payload.errors?.length) showMessage(payload.errors[0].message);
    if (payload.data?.alertEvents) upsert(payload.data.alertEvents.alert);
  });
  live.start();
  onCallTimer = setInterval(refreshOnCall, ON_CALL_REFRESH_MS);
  showCoverageRequest();
}

// ---------------------------------------------------------------------------- coverage requests

/** The widget's web link, `#/coverage/request?start=…&end=…&schedules=1,2`, opens a prefilled
 * request (no start: the current shift, asked from the next minute on). */
function showCoverageRequest() {
  const view = $("coverage-view");
  view.hidden = !location.hash.startsWith("#/coverage/request");
  if (view.hidden) return;
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const nextMinute = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000);
  $("coverage-start").value = params.get("start") || nextMinute.toISOString().replace(/\.\d+Z$/, "Z");
  $("coverage-end").value = params.get("end") || "";
  $("coverage-form").dataset.schedules = params.get("schedules") || "";
  $("coverage-result").textContent = "";
}

async function requestCoverage(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const schedules = (form.dataset.schedules || "").split(",").filter(Boolean);
  const variables = {
    start: form.start.value.trim(),
    end: form.end.value.trim(),
    message: form.message.value,
    schedules: schedules.length ? schedules : null,
  };
  try {
    const { requestCoverage: made } = await graphql(REQUEST_COVERAGE, variables);
    $("coverage-result").textContent = `Asked: coverage request ${made.id} is ${made.status.toLowerCase()}.`;
  } catch (error) {
    $("coverage-result").textContent = error.message;
  }
}

function signOut(reason = "") {
  live?.stop();
  live = null;
  clearInterval(onCallTimer);
  localStorage.removeItem(TOKEN_KEY);
  alerts.clear();
  resolved.clear();
  $("alerts").replaceChildren();
  $("oncall").replaceChildren();
  renderNotifications();
  hideSetupWarnings();
  $("app-view").hidden = true;
  $("coverage-view").hidden = true;
  $("whoami").hidden = true;
  $("connection").hidden = true;
  $("login-view").hidden = false;
  showMessage(reason);
  $("email").focus();
}

/** Revokes the session on the server, then forgets it here. */
async function logOut() {
  try {
    await graphql(LOGOUT);
    signOut();
  } catch (error) {
    signOut(`Signed out on this browser, but the server could not revoke the session: ${error.message}`);
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const submit = form.querySelector("button");
  submit.disabled = true;
  try {
    const data = await graphql(LOGIN, { email: form.email.value, password: form.password.value });
    localStorage.setItem(TOKEN_KEY, data.login.token);
    form.reset();
    showMessage("");
    $("user-name").textContent = data.login.user.name;
    showDashboard();
  } catch (error) {
    showMessage(error.message);
  } finally {
    submit.disabled = false;
  }
}

function start() {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", logOut);
  $("coverage-form").addEventListener("submit", requestCoverage);
  // Signing out in another tab signs out here too.
  window.addEventListener("hashchange", () => {
    if (live) showCoverageRequest();
    const id = Number(location.hash.replace("#/alerts/", ""));
    const item = Number.isInteger(id) ? alertElement(id) : null;
    if (item) showLinked(item);
  });
  window.addEventListener("storage", (event) => {
    if (event.key === TOKEN_KEY && !event.newValue && live) signOut();
  });
  // A stored token is checked by the first connection: the server refuses a stale one (4403).
  if (localStorage.getItem(TOKEN_KEY)) showDashboard();
  else signOut();
}

start();
