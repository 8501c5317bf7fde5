// Whether what a page shows is live. It stops being live when the live connection drops (the
// browser went offline, the server went away): the page keeps what it has and marks it "not live
// since HH:MM" until a refetch made after the connection came back has answered. Each loss starts
// a new epoch; a refetch counts only for the epoch it started in, so an answer that was already
// in flight when the connection dropped does not clear the mark. Pure: the hook is useStaleness.ts.

export interface Staleness {
  /** When the page stopped being live (ISO instant), or null while it is. */
  since: string | null;
  /** Losses so far: a refetch started in an earlier epoch does not make the page live. */
  epoch: number;
}

export const LIVE: Staleness = { since: null, epoch: 0 };

/** A page that opens while the connection is down is stale from when it went down. */
export const openedWith = (lostAt: string | null): Staleness => (lostAt === null ? LIVE : { since: lostAt, epoch: 1 });

/** The connection dropped at `at`; a page already stale stays stale since the first loss. */
export const lost = (state: Staleness, at: string): Staleness => ({ since: state.since ?? at, epoch: state.epoch + 1 });

/** A refetch started in `epoch` answered: live again, if nothing was lost since it started. */
export const refreshed = (state: Staleness, epoch: number): Staleness => (epoch === state.epoch ? { ...state, since: null } : state);
