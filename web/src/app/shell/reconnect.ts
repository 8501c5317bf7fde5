// When the live feed reconnects after the server or the network closed it (not a sign-out).
//
// Capped exponential backoff with jitter between half and all of the ceiling. The server closes
// with 1012 ("Service Restart") when the feed may have missed changes (its Redis went away and
// came back): that is not a failure, so the page reconnects at once (within a short random
// spread, so a thousand pages do not come back in the same millisecond) and refetches. A second
// 1012 before the connection was healthy for HEALTHY_MS (a page that keeps falling behind in a
// storm) waits with the usual backoff instead: reconnecting and refetching every second would
// add load exactly when the server is busiest.

export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
export const RESYNC_CODE = 1012;
export const RESYNC_SPREAD_MS = 1_000;
export const HEALTHY_MS = 30_000;
// The server closes with 4403 when the token is missing, expired or revoked (4401: subscribed
// before the ack). Retrying cannot help: the user has to sign in again.
export const REJECTED_CODES: ReadonlySet<number> = new Set([4401, 4403]);

export interface ReconnectState {
  /** Failures since the last connection_ack. */
  attempt: number;
  /** 1012 closes since the connection was last healthy. */
  resyncsInARow: number;
}

export interface ReconnectPlan extends ReconnectState {
  delayMs: number;
  /** A 1012: the page is catching up, not failing. */
  catchingUp: boolean;
}

export function backoff(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** @param liveForMs how long the closed connection had been acknowledged (0 if never) */
export function reconnectPlan(state: ReconnectState, code: number, liveForMs: number, random: () => number = Math.random): ReconnectPlan {
  const resyncsBefore = liveForMs >= HEALTHY_MS ? 0 : state.resyncsInARow;
  if (code === RESYNC_CODE) {
    const resyncsInARow = resyncsBefore + 1;
    // The attempt counter starts again at every connection_ack, which each of these connections
    // had: count the backoff from the 1012s in a row instead.
    const delayMs = resyncsInARow < 2 ? Math.round(random() * RESYNC_SPREAD_MS) : backoff(resyncsInARow - 1, random);
    return { delayMs, attempt: state.attempt, resyncsInARow, catchingUp: true };
  }
  return { delayMs: backoff(state.attempt, random), attempt: state.attempt + 1, resyncsInARow: resyncsBefore, catchingUp: false };
}
