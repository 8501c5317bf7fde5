// pagerline's service worker, served at /sw.js (scope /). Hand-written rather than Workbox: it
// does four small things (keep the shell for offline use, show pushes, answer notification
// buttons, renew a replaced push subscription), a generated precache manifest would add a build
// plugin and a runtime for what is a page and a handful of hashed files, and every line here is
// ours to read in a review.
//
// - Offline shell: install caches the page and the hashed assets it names; a navigation goes to
//   the network first (a new release is picked up at once) and falls back to the cached page;
//   hashed assets come from the cache first (their names never change meaning). GraphQL and the
//   API are never cached: the app keeps its own last data and marks it stale (src/pwa/snapshot.ts).
// - push: shows the page the server sent (docs/mobile.md, "Browsers (Web Push)").
// - pushsubscriptionchange: subscribes again with the old subscription's key and asks open
//   windows to register it; the worker holds no session to tell the server itself
//   (src/pwa/subscriptionChange.ts says why; the page registers at its next start otherwise).
// - notificationclick: Accept/Resolve post the page's action token to /api/actions (no session
//   needed) and show the answer; a plain click shows the alert in the open app (a message its
//   router follows, src/pwa/register.ts) and focuses it, or opens a window on it.
//
// Built by Vite as its own entry to a fixed name (vite.config.ts) and loaded as a classic script:
// it imports only pure modules, which the bundle inlines.
import { actionResult, notificationFor, type NotificationAction, type ShownNotification } from "./notification";
import type { OpenMessage } from "./openMessage";
import { renewSubscription } from "./subscriptionChange";
import { assetsIn, cachePolicy, isAppPage } from "./shellCache";

declare const self: ServiceWorkerGlobalScope;

const CACHE = "pagerline-shell-v1";
const PAGE = "/";
const STATIC = ["/manifest.webmanifest", "/icons/icon-192.png", "/icons/icon-512.png"];

async function cachePage(cache: Cache, page: Response): Promise<void> {
  const html = await page.clone().text();
  if (!isAppPage(html)) return;
  const assets = assetsIn(html);
  await cache.addAll(assets);
  await cache.put(PAGE, page);
  // Assets of older releases go once a newer page is kept.
  const keep = new Set(assets);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/assets/") && !keep.has(path)) await cache.delete(request);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const page = await fetch(PAGE, { cache: "no-cache" });
      if (page.ok) await cachePage(cache, page);
      await cache.addAll(STATIC);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

async function page(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok && (response.headers.get("content-type") ?? "").startsWith("text/html")) {
      const cache = await caches.open(CACHE);
      await cachePage(cache, response.clone()).catch(() => undefined);
    }
    return response;
  } catch (error) {
    const cached = await caches.match(PAGE);
    if (cached) return cached;
    throw error;
  }
}

async function asset(request: Request): Promise<Response> {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const policy = cachePolicy(request.method, request.mode, url.pathname);
  if (policy === "page") event.respondWith(page(request));
  else if (policy === "asset") event.respondWith(asset(request));
});

function show(shown: ShownNotification): Promise<void> {
  // `actions` and `renotify` are not in TypeScript's NotificationOptions yet.
  return self.registration.showNotification(shown.title, shown.options as NotificationOptions);
}

self.addEventListener("push", (event) => {
  let payload: unknown = null;
  try {
    payload = event.data?.json();
  } catch {
    payload = { title: "pagerline", body: event.data?.text() ?? "" };
  }
  event.waitUntil(show(notificationFor(payload, self.location.origin)));
});

self.addEventListener("pushsubscriptionchange", (event) => {
  const change = { oldKey: event.oldSubscription?.options.applicationServerKey ?? null, renewed: event.newSubscription !== null && event.newSubscription !== undefined };
  event.waitUntil(renewSubscription(change, self.registration.pushManager, self.clients));
});

interface ShownData {
  url: string;
  alertId: string | null;
  actionToken: string | null;
}

async function act(notification: Notification, action: NotificationAction): Promise<void> {
  const data = notification.data as ShownData;
  let status = 0;
  let body: unknown = null;
  try {
    const response = await fetch("/api/actions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: data.actionToken, action }),
    });
    status = response.status;
    body = await response.json().catch(() => null);
  } catch {
    body = { message: "No connection to pagerline" };
  }
  const result = actionResult(action, data.alertId, status, body);
  await self.registration.showNotification(result.title, {
    body: result.body,
    tag: notification.tag,
    data: { ...data, actionToken: null },
  });
}

async function open(url: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const app = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (!app) {
    await self.clients.openWindow(url);
    return;
  }
  // The open app shows the alert through its own router (no reload, the live session stays).
  const message: OpenMessage = { type: "pagerline:open", url };
  app.postMessage(message);
  // Focusing needs the click's user activation; without it the app still changed page.
  await app.focus().catch(() => undefined);
}

self.addEventListener("notificationclick", (event) => {
  const { notification } = event;
  const data = notification.data as ShownData | null;
  const work =
    (event.action === "accept" || event.action === "resolve") && data?.actionToken
      ? act(notification, event.action)
      : open(data?.url ?? "/");
  notification.close();
  event.waitUntil(work);
});
