// The rows of the live open-alert list, made and kept up to date with the DOM directly rather
// than by React. The list holds every open alert (500 in a storm, all of them in the page, so
// that each is reachable by keyboard, search and screen reader): through React, the 5,000
// elements of 500 rows took three times as long to appear as they take here (a row is a clone
// of one prepared row, filled in). The markup is the one AlertSummary renders elsewhere, less
// the wrappers, and everything the source sent is set as text (textContent, Text nodes, one
// attribute per value): never parsed as markup.
//
// The page (OpenAlertsPage) renders the <ol> and calls syncRows after every change of the list,
// the selection or the alerts being acted on; clicks and changes reach it through listeners on
// the <ol> (alertOfEvent tells which alert and which control).
import type { AlertListItemFragment } from "../../gql/graphql";
import { formatTime } from "../shell/format";

export type AlertAction = "accept" | "resolve";

/** One row's elements, kept so that a change rewrites only what it changes. */
export interface Row {
  li: HTMLLIElement;
  select: HTMLInputElement;
  number: Text;
  priority: HTMLSpanElement;
  status: HTMLSpanElement;
  summary: HTMLAnchorElement;
  source: HTMLSpanElement;
  created: Text;
  latest: HTMLParagraphElement;
  accept: HTMLButtonElement;
  resolve: HTMLButtonElement;
  alert: AlertListItemFragment | null;
}

export type Rows = Map<string, Row>;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, ...children: Node[]): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  made.className = className;
  made.append(...children);
  return made;
}

let prepared: HTMLLIElement | null = null;

/** The empty row every row is cloned from:
 *  li.alert.selectable > input.select, p.alert-head (#n, priority, status, summary link),
 *  p.alert-meta (source · opened), p.alert-latest, button.accept, button.resolve */
function emptyRow(): HTMLLIElement {
  if (prepared) return prepared;
  const select = element("input", "select");
  select.type = "checkbox";
  const head = element("p", "alert-head", document.createTextNode(""), element("span", "alert-priority"), element("span", "alert-status"), element("a", "alert-summary"));
  const meta = element("p", "alert-meta", element("span", "alert-source"), document.createTextNode(""));
  const accept = element("button", "accept", document.createTextNode("Accept"));
  const resolve = element("button", "resolve", document.createTextNode("Resolve"));
  accept.type = resolve.type = "button";
  prepared = element("li", "alert selectable", select, head, meta, element("p", "alert-latest"), accept, resolve);
  return prepared;
}

function newRow(): Row {
  // Walked by sibling links: destructuring `children` (an HTMLCollection, iterated) cost a
  // third of the time of making 500 rows.
  const li = emptyRow().cloneNode(true) as HTMLLIElement;
  const select = li.firstElementChild as HTMLInputElement;
  const head = select.nextElementSibling as HTMLParagraphElement;
  const meta = head.nextElementSibling as HTMLParagraphElement;
  const latest = meta.nextElementSibling as HTMLParagraphElement;
  const accept = latest.nextElementSibling as HTMLButtonElement;
  const resolve = accept.nextElementSibling as HTMLButtonElement;
  const priority = head.firstElementChild as HTMLSpanElement;
  const status = priority.nextElementSibling as HTMLSpanElement;
  const summary = status.nextElementSibling as HTMLAnchorElement;
  return {
    li, select, number: head.firstChild as Text, priority, status, summary,
    source: meta.firstChild as HTMLSpanElement, created: meta.lastChild as Text,
    latest, accept, resolve, alert: null,
  };
}

/** Puts `child` in `row.li` before `before` when `wanted`, takes it out otherwise. */
function present(row: Row, child: Element, wanted: boolean, before: Element): void {
  if (wanted && child.parentNode !== row.li) row.li.insertBefore(child, before);
  else if (!wanted && child.parentNode === row.li) child.remove();
}

function fill(row: Row, alert: AlertListItemFragment): void {
  if (row.alert === alert) return;
  const label = `alert #${alert.id}: ${alert.summary}`;
  row.li.setAttribute("data-alert-id", alert.id);
  row.select.setAttribute("aria-label", `Select ${label}`);
  row.number.data = `#${alert.id}`;
  row.priority.textContent = alert.priority;
  row.priority.setAttribute("data-priority", alert.priority);
  row.status.textContent = alert.status;
  row.status.setAttribute("data-status", alert.status);
  row.summary.href = `/alerts/${alert.id}`;
  row.summary.textContent = alert.summary;
  row.source.textContent = alert.source?.name ?? "unknown source";
  row.created.data = ` · ${formatTime(alert.createdAt)}`;
  const latest = alert.latestLogEntry;
  if (latest) row.latest.textContent = `${formatTime(latest.at)}: ${latest.text}`;
  present(row, row.latest, latest !== null && latest !== undefined, row.accept.parentNode === row.li ? row.accept : row.resolve);
  row.accept.setAttribute("aria-label", `Accept ${label}`);
  present(row, row.accept, alert.status === "PENDING", row.resolve);
  row.resolve.setAttribute("aria-label", `Resolve ${label}`);
  row.alert = alert;
}

/**
 * Makes `list` show `alerts` in their order, with the checkboxes of `selected` ticked and the
 * buttons of `busy` disabled. A row that stays keeps its elements (and the focus inside it);
 * rows are moved only when the order changed, new ones are put in place, gone ones removed.
 */
export function syncRows(list: HTMLOListElement, rows: Rows, alerts: readonly AlertListItemFragment[], selected: ReadonlySet<string>,
                         busy: ReadonlySet<string>): void {
  const wanted = new Set<string>();
  // The first fill of the list goes in as one fragment (one insertion, not one per row).
  const batch = list.firstChild === null ? document.createDocumentFragment() : null;
  let cursor: ChildNode | null = list.firstChild;
  for (const alert of alerts) {
    wanted.add(alert.id);
    let row = rows.get(alert.id);
    if (!row) {
      row = newRow();
      rows.set(alert.id, row);
    }
    fill(row, alert);
    row.select.checked = selected.has(alert.id);
    row.accept.disabled = row.resolve.disabled = busy.has(alert.id);
    if (batch) batch.append(row.li);
    else if (row.li === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(row.li, cursor);
  }
  if (batch) list.append(batch);
  for (const [id, row] of rows) {
    if (wanted.has(id)) continue;
    row.li.remove();
    rows.delete(id);
  }
}

export type RowEvent =
  | { kind: "act"; action: AlertAction; id: string }
  | { kind: "select"; id: string; on: boolean }
  | { kind: "open"; href: string }
  | null;

/** What a click or change inside the list was about, if anything. */
export function alertOfEvent(event: Event): RowEvent {
  const target = event.target instanceof Element ? event.target : null;
  const id = target?.closest<HTMLLIElement>("li[data-alert-id]")?.dataset.alertId;
  if (!target || !id) return null;
  if (event.type === "change" && target instanceof HTMLInputElement && target.classList.contains("select")) {
    return { kind: "select", id, on: target.checked };
  }
  if (event.type !== "click") return null;
  const button = target.closest("button");
  if (button && !button.disabled) return { kind: "act", action: button.classList.contains("accept") ? "accept" : "resolve", id };
  const link = target.closest("a");
  return link ? { kind: "open", href: link.getAttribute("href") ?? "/" } : null;
}
