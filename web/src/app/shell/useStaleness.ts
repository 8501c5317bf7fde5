import { useCallback, useEffect, useRef, useState } from "react";
import { useShell } from "./context";
import { lost, openedWith, refreshed, type Staleness } from "./staleness";

export interface StalenessHandle {
  /** When what the page shows stopped being live, or null while it is live. */
  staleSince: string | null;
  /** Call when a refetch starts; give what it returns to `refreshed` when it answers. */
  startRefetch: () => number;
  refreshed: (epoch: number) => void;
}

/** The page's staleness (see staleness.ts), following the live session's losses. */
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
  return { staleSince, startRefetch, refreshed: done };
}
