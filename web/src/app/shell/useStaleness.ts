import { useCallback, useEffect, useRef, useState } from "react";
import { useShell } from "./context";
import { lost, openedWith, refreshed, type Staleness } from "./staleness";

export interface StalenessHandle {
  /** When what the page shows stopped being live, or null while it is live. */
  staleSince: string | null;
  /** Call when a refetch starts; give what it returns to `refreshed` when it answers. */
  startRefetch: () => number;
  refreshed: (epoch: number) => void;
  /** A request failed to reach the server (a network error): stale from now, like a lost connection. */
  unreachable: () => void;
}

/** The page's staleness (see staleness.ts), following the live session's losses and the
 * page's own requests that could not reach the server. */
export function useStaleness(): StalenessHandle {
  const { session } = useShell();
  const state = useRef<Staleness>(openedWith(session.lostAt()));
  const [staleSince, setStaleSince] = useState(state.current.since);
  const apply = useCallback((next: Staleness) => {
    state.current = next;
    setStaleSince(next.since);
  }, []);
  useEffect(() => session.onLost((at) => apply(lost(state.current, at))), [session, apply]);
  const startRefetch = useCallback(() => state.current.epoch, []);
  const done = useCallback((epoch: number) => apply(refreshed(state.current, epoch)), [apply]);
  const unreachable = useCallback(() => apply(lost(state.current, new Date().toISOString())), [apply]);
  return { staleSince, startRefetch, refreshed: done, unreachable };
}
