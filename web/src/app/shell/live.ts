// The urql client of one signed-in session: queries and mutations over HTTP with the token as
// a Bearer header, subscriptions over one graphql-transport-ws connection (graphql-ws) that
// authenticates in connection_init. graphql-ws reconnects by itself; when it waits is decided by
// reconnectPlan (tested on its own), and every connection_ack tells the page to refetch what it
// may have missed. No document cache: every query goes to the server, as it should for alerts
// (the offline snapshot is a separate, read-only copy shown only as stale).
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { snapshotExchange } from "../../pwa/snapshotStore";
import { REJECTED_CODES, reconnectPlan, type ReconnectState } from "./reconnect";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

export interface LiveHandlers {
  onStatus: (state: ConnectionState, text: string) => void;
  /** The first connection and every reconnection: refetch what may have been missed. */
  onConnected: () => void;
  /** The server refused the token (4403): the user has to sign in again. */
  onRejected: () => void;
}

export interface LiveSession {
  client: Client;
  /** Whether the live connection is acknowledged right now. */
  isConnected: () => boolean;
  /** Subscribe to "connected" (see LiveHandlers.onConnected); returns the unsubscribe. */
  onConnected: (listener: () => void) => () => void;
  /** When the live connection last dropped (ISO instant), or null while it is up or before the first. */
  lostAt: () => string | null;
  /** Subscribe to "the live connection dropped" (with when); returns the unsubscribe. */
  onLost: (listener: (at: string) => void) => () => void;
  dispose: () => void;
}

const PING_EVERY_MS = 20_000;
const PONG_TIMEOUT_MS = 10_000;
const ACK_TIMEOUT_MS = 10_000;

interface CloseLike {
  code: number;
}

const isClose = (value: unknown): value is CloseLike =>
  typeof value === "object" && value !== null && "code" in value && typeof (value as CloseLike).code === "number";

export function openLiveSession(token: string, handlers: LiveHandlers): LiveSession {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const listeners = new Set<() => void>();
  const lostListeners = new Set<(at: string) => void>();
  let lostAt: string | null = null;
  let state: ReconnectState = { attempt: 0, resyncsInARow: 0 };
  let ackedAt = 0;
  let connected = false;
  let nextDelayMs = 0;
  let disposed = false;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let wakeUp: (() => void) | null = null;
  let ws: WsClient | null = null;

  // Back online: skip the rest of the backoff wait.
  const online = () => wakeUp?.();
  window.addEventListener("online", online);
  // The browser says the network is gone: the socket is as good as dead, but graphql-ws would
  // notice only when a ping goes unanswered (up to half a minute). Close it now, so the pages are
  // marked stale at once and the backoff starts (an "online" event then cuts it short).
  const offline = () => {
    if (connected) ws?.terminate();
  };
  window.addEventListener("offline", offline);

  ws = createWsClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: () => ({ authToken: token }),
    lazy: false,
    keepAlive: PING_EVERY_MS,
    connectionAckWaitTimeout: ACK_TIMEOUT_MS,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => !(isClose(event) && REJECTED_CODES.has(event.code)),
    retryWait: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, nextDelayMs);
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      }),
    onNonLazyError: () => undefined, // reported through on.closed
    on: {
      connecting: () => {
        if (state.attempt === 0 && state.resyncsInARow === 0) handlers.onStatus("connecting", "Connecting…");
      },
      connected: () => {
        ackedAt = performance.now();
        connected = true;
        lostAt = null;
        state = { ...state, attempt: 0 };
        handlers.onStatus("live", "Live");
        handlers.onConnected();
        for (const listener of listeners) listener();
      },
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        // A connection that stopped answering is noticed and replaced (graphql-ws only pings).
        pongTimer = setTimeout(() => ws?.terminate(), PONG_TIMEOUT_MS);
      },
      pong: () => clearTimeout(pongTimer),
      closed: (event) => {
        clearTimeout(pongTimer);
        const wasConnected = connected;
        connected = false;
        if (disposed) return;
        if (wasConnected) {
          lostAt = new Date().toISOString();
          for (const listener of lostListeners) listener(lostAt);
        }
        const code = isClose(event) ? event.code : 1006;
        if (REJECTED_CODES.has(code)) {
          handlers.onStatus("offline", "Signed out");
          handlers.onRejected();
          return;
        }
        const liveForMs = ackedAt ? performance.now() - ackedAt : 0;
        ackedAt = 0;
        const plan = reconnectPlan(state, code, liveForMs);
        state = { attempt: plan.attempt, resyncsInARow: plan.resyncsInARow };
        nextDelayMs = plan.delayMs;
        handlers.onStatus("reconnecting", plan.catchingUp ? "Catching up…" : `Reconnecting in ${Math.ceil(plan.delayMs / 1000)} s…`);
      },
    },
  });

  const client = new Client({
    url: "/graphql",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` } }),
    exchanges: [
      // Keeps the last alert list and on-call state for the offline view (src/pwa/snapshot.ts).
      snapshotExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws!.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
    ],
  });

  return {
    client,
    isConnected: () => connected,
    onConnected: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    lostAt: () => lostAt,
    onLost: (listener) => {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
    dispose: () => {
      disposed = true;
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      clearTimeout(pongTimer);
      void ws?.dispose();
      handlers.onStatus("offline", "Offline");
    },
  };
}
