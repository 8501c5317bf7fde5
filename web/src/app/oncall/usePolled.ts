import { useEffect } from "react";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";

/** Loaded at every (re)connection and every `everyMs`: who is on call changes with the clock
 * (shifts change on the hour), not only with events. */
export function usePolled(load: () => void, everyMs: number): void {
  useRefetchOnConnect(load);
  useEffect(() => {
    const timer = setInterval(load, everyMs);
    return () => clearInterval(timer);
  }, [load, everyMs]);
}
