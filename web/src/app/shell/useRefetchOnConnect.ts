import { useEffect, useRef } from "react";
import { useShell } from "./context";

/** Runs `load` now if the live connection is up, and again after every (re)connection: what
 * changed while the page was offline is fetched again. */
export function useRefetchOnConnect(load: () => void): void {
  const { session } = useShell();
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    if (session.isConnected()) latest.current();
    return session.onConnected(() => latest.current());
  }, [session]);
}
