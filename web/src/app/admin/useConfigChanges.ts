// The admin console's live updates: `onChange` for each committed change of one of `kinds`
// (whoever made it, through whichever server). Changes made while the live connection was down
// are not replayed: pair it with useRefetchOnConnect, which reloads after every reconnection.
import { useEffect, useRef } from "react";
import { useShell } from "../shell/context";
import { watchConfigChanges, type ConfigChange, type ConfigKind } from "./configChanges";

export type { ConfigAction, ConfigChange, ConfigKind } from "./configChanges";

export function useConfigChanges(kinds: ConfigKind[], onChange: (change: ConfigChange) => void): void {
  const { session, showMessage } = useShell();
  // The latest callback, without subscribing again on every render (callers pass inline ones).
  const latest = useRef(onChange);
  latest.current = onChange;
  // The kinds by value: a new array literal each render is the same subscription.
  const key = [...new Set(kinds)].sort().join(",");
  useEffect(() => {
    const wanted = key ? (key.split(",") as ConfigKind[]) : [];
    return watchConfigChanges(
      session.client,
      wanted,
      (change) => latest.current(change),
      (message) => showMessage(`Live updates failed: ${message}`),
    );
  }, [session, showMessage, key]);
}
