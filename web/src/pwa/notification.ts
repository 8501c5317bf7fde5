// What the service worker shows for a push and for the answer to an Accept or Resolve button.
// Pure functions over the payload the server sends (docs/mobile.md, "Browsers (Web Push)"), so
// Vitest checks them without a worker; sw.ts only wires them to the worker's events.

export type NotificationAction = "accept" | "resolve";

/** The push payload as the server sends it; every field is checked, never trusted blindly. */
export interface PushPayload {
  title: string;
  body: string;
  tag: string;
  url: string;
  requireInteraction: boolean;
  actions: { action: NotificationAction; title: string }[];
  data: Record<string, string>;
}

export interface ShownNotification {
  title: string;
  options: {
    body: string;
    tag: string;
    requireInteraction: boolean;
    actions: { action: NotificationAction; title: string }[];
    data: { url: string; alertId: string | null; actionToken: string | null };
    renotify?: boolean;
  };
}

const ACTIONS: ReadonlySet<string> = new Set(["accept", "resolve"]);

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The address a tap opens: the payload's, when it is on this app's origin; otherwise (or when
 * missing) the alert's page here, or the alert list. A push can only come from our server, but
 * a tap never leaves the app for an address nobody checked. */
export function alertUrl(url: string, alertId: string | null, origin: string): string {
  try {
    const parsed = new URL(url, origin);
    if (parsed.origin === origin) return parsed.href;
  } catch {
    // not a URL: fall through to the alert's page
  }
  return alertId && /^\d+$/.test(alertId) ? `${origin}/alerts/${alertId}` : `${origin}/`;
}

/** The notification for a push. Buttons only when the payload carries an action token (pages do,
 * updates do not): without one, Accept could not work from the lock screen. */
export function notificationFor(raw: unknown, origin: string): ShownNotification {
  const payload = record(raw);
  const data = record(payload.data);
  const alertId = text(data.alert_id) || null;
  const actionToken = text(data.action_token) || null;
  const actions = actionToken
    ? (Array.isArray(payload.actions) ? payload.actions : [])
        .map(record)
        .filter((entry) => ACTIONS.has(text(entry.action)))
        .map((entry) => ({ action: text(entry.action) as NotificationAction, title: text(entry.title, text(entry.action)) }))
    : [];
  const tag = text(payload.tag) || (alertId ? `alert-${alertId}` : "pagerline");
  return {
    title: text(payload.title, "pagerline"),
    options: {
      body: text(payload.body),
      tag,
      // HIGH pages stay until answered; the server says so, and the priority is the fallback.
      requireInteraction: payload.requireInteraction === true || (text(data.kind) === "PAGE" && text(data.priority) === "HIGH"),
      actions,
      data: { url: alertUrl(text(payload.url) || text(data.url), alertId, origin), alertId, actionToken },
      // An update replacing a page (same tag) is announced again.
      renotify: true,
    },
  };
}

/** What POST /api/actions answered, as the notification that replaces the page. */
export function actionResult(
  action: NotificationAction,
  alertId: string | null,
  status: number,
  body: unknown,
): { title: string; body: string } {
  const answer = record(body);
  const alert = alertId ? `#${alertId}` : "The alert";
  if (status >= 200 && status < 300) {
    return { title: `${action === "accept" ? "Accepted" : "Resolved"} ${alert}`, body: `Status: ${text(answer.status, "changed")}` };
  }
  const why = text(answer.message) || `the server answered ${status}`;
  return { title: `Could not ${action} ${alert}`, body: `${why}. Open the app to see the alert.` };
}

