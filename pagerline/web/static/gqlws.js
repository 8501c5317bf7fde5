// A small client for the graphql-transport-ws protocol (the one graphql-ws speaks), for the
// dashboard's live feed. It keeps one WebSocket open: it authenticates in connection_init,
// (re)subscribes after every connection_ack, answers pings, pings the server itself so a dead
// connection is noticed, and reconnects with capped exponential backoff and jitter. Every
// connection_ack calls onConnected, so the page can refetch what it missed while offline.
// The server closes with 1012 when the live feed may have missed changes (its Redis went away
// and came back): the client reconnects at once (within a short random spread, so a thousand
// pages do not come back in the same millisecond), and onConnected refetches. A second 1012
// before the connection was healthy for HEALTHY_MS (a page that keeps falling behind in a storm)
// waits with the usual backoff instead: reconnecting and refetching every second would add to
// the load exactly when the server is busiest.
//
// Protocol: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md

const PROTOCOL = "graphql-transport-ws";
const ACK_TIMEOUT_MS = 10_000;
const PING_EVERY_MS = 20_000;
const PONG_TIMEOUT_MS = 10_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
// The server closes with 4403 when the token is missing, expired or revoked (4401: subscribed
// before the ack). Retrying cannot help: the user has to sign in again.
const REJECTED_CODES = new Set([4401, 4403]);
// Service Restart: "you may have missed events; reconnect and refetch". Not a failure.
const RESYNC_CODE = 1012;
const RESYNC_SPREAD_MS = 1_000;
// A connection live this long was healthy: a 1012 after it is met with a quick reconnect again.
const HEALTHY_MS = 30_000;
// Codes this client closes with (4000-4999 are free for applications).
const CLOSE_NO_ACK = 4408;
const CLOSE_NO_PONG = 4000;
const CLOSE_BAD_MESSAGE = 4400;

/**
 * When to reconnect after the server or the network closed the connection (not a sign-out),
 * and the counters to carry to the next close. Pure, so it is tested on its own.
 * @param {{attempt: number, resyncsInARow: number}} state  failures since the last connection_ack,
 *        and 1012 closes since the connection was last healthy
 * @param {number} code  the close code
 * @param {number} liveForMs  how long the connection had been acknowledged (0 if never)
 * @param {() => number} random  in [0, 1)
 * @returns {{delayMs: number, attempt: number, resyncsInARow: number, catchingUp: boolean}}
 */
export function reconnectPlan(state, code, liveForMs, random = Math.random) {
  const resyncsBefore = liveForMs >= HEALTHY_MS ? 0 : state.resyncsInARow;
  if (code === RESYNC_CODE) {
    const resyncsInARow = resyncsBefore + 1;
    // The first 1012 since a healthy period: at once. After that the backoff, counted from the
    // 1012s in a row (the attempt counter starts again at every connection_ack, which each of
    // these connections had).
    const delayMs = resyncsInARow < 2 ? Math.round(random() * RESYNC_SPREAD_MS) : backoff(resyncsInARow - 1, random);
    return { delayMs, attempt: state.attempt, resyncsInARow, catchingUp: true };
  }
  return { delayMs: backoff(state.attempt, random), attempt: state.attempt + 1, resyncsInARow: resyncsBefore, catchingUp: false };
}

/** Capped exponential backoff with jitter: between half and all of the ceiling. */
function backoff(attempt, random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}

export class LiveClient {
  #url;
  #token;
  #handlers;
  #socket = null;
  #acked = false;
  #stopped = true;
  #attempt = 0;
  #resyncsInARow = 0;
  #ackedAt = 0; // performance.now() at the current connection's connection_ack; 0 before it
  #nextId = 1;
  #subscriptions = new Map();
  #timers = { ack: 0, ping: 0, pong: 0, reconnect: 0 };

  /**
   * @param {string} url  ws:// or wss:// URL of /graphql
   * @param {string} token  session or API token, sent as {authToken} in connection_init
   * @param {{onStatus?: (state: string, text: string) => void, onConnected?: () => void,
   *          onRejected?: () => void, onError?: (errors: object[]) => void}} handlers
   */
  constructor(url, token, handlers = {}) {
    this.#url = url;
    this.#token = token;
    this.#handlers = handlers;
    this.reconnectNow = this.reconnectNow.bind(this);
  }

  start() {
    this.#stopped = false;
    window.addEventListener("online", this.reconnectNow);
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    window.removeEventListener("online", this.reconnectNow);
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) socket.close(1000, "bye");
    this.#status("offline", "Offline");
  }

  /** Back online (or asked to): skip the rest of the backoff wait. */
  reconnectNow() {
    if (this.#stopped || this.#socket) return;
    clearTimeout(this.#timers.reconnect);
    this.#connect();
  }

  /** Registers an operation; it is sent now if connected and again after every reconnect.
   *  Returns a function that ends it. */
  subscribe(query, variables, onNext) {
    const id = String(this.#nextId++);
    this.#subscriptions.set(id, { query, variables, onNext });
    if (this.#acked) this.#sendSubscribe(id);
    return () => {
      this.#subscriptions.delete(id);
      if (this.#acked) this.#send({ id, type: "complete" });
    };
  }

  #connect() {
    this.#status("connecting", "Connecting…");
    const socket = new WebSocket(this.#url, PROTOCOL);
    this.#socket = socket;
    this.#acked = false;
    this.#ackedAt = 0;
    socket.onopen = () => {
      this.#send({ type: "connection_init", payload: { authToken: this.#token } });
      this.#timers.ack = setTimeout(() => socket.close(CLOSE_NO_ACK, "no connection_ack"), ACK_TIMEOUT_MS);
    };
    socket.onmessage = (event) => this.#receive(socket, event.data);
    socket.onclose = (event) => this.#closed(socket, event.code);
    // An error is always followed by a close event, which does the work.
  }

  #receive(socket, raw) {
    if (socket !== this.#socket) return; // a message from a socket we already gave up on
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      socket.close(CLOSE_BAD_MESSAGE, "invalid JSON");
      return;
    }
    switch (message.type) {
      case "connection_ack":
        clearTimeout(this.#timers.ack);
        this.#acked = true;
        this.#ackedAt = performance.now();
        this.#attempt = 0;
        for (const id of this.#subscriptions.keys()) this.#sendSubscribe(id);
        this.#startPinging(socket);
        this.#status("live", "Live");
        this.#handlers.onConnected?.();
        break;
      case "next":
        this.#subscriptions.get(message.id)?.onNext(message.payload);
        break;
      case "error":
        this.#handlers.onError?.(message.payload);
        break;
      case "ping":
        this.#send({ type: "pong" });
        break;
      case "pong":
        clearTimeout(this.#timers.pong);
        break;
      default:
        break; // "complete" and anything newer: nothing to do
    }
  }

  #closed(socket, code) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#acked = false;
    this.#clearTimers();
    if (this.#stopped) return;
    if (REJECTED_CODES.has(code)) {
      this.#stopped = true;
      this.#status("offline", "Signed out");
      this.#handlers.onRejected?.();
      return;
    }
    const liveForMs = this.#ackedAt ? performance.now() - this.#ackedAt : 0;
    const plan = reconnectPlan({ attempt: this.#attempt, resyncsInARow: this.#resyncsInARow }, code, liveForMs);
    this.#attempt = plan.attempt;
    this.#resyncsInARow = plan.resyncsInARow;
    this.#status("reconnecting", plan.catchingUp ? "Catching up…" : `Reconnecting in ${Math.ceil(plan.delayMs / 1000)} s…`);
    this.#timers.reconnect = setTimeout(() => this.#connect(), plan.delayMs);
  }

  #startPinging(socket) {
    this.#timers.ping = setInterval(() => {
      this.#send({ type: "ping" });
      clearTimeout(this.#timers.pong);
      this.#timers.pong = setTimeout(() => socket.close(CLOSE_NO_PONG, "no pong"), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  #sendSubscribe(id) {
    const { query, variables } = this.#subscriptions.get(id);
    this.#send({ id, type: "subscribe", payload: { query, variables } });
  }

  #send(message) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #clearTimers() {
    clearTimeout(this.#timers.ack);
    clearInterval(this.#timers.ping);
    clearTimeout(this.#timers.pong);
    clearTimeout(this.#timers.reconnect);
  }

  #status(state, text) {
    this.#handlers.onStatus?.(state, text);
  }
}
