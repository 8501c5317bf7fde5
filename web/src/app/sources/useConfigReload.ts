// A console section's data loaded again when another admin (or another tab) changes a kind of
// configuration it shows. Changes arriving together (a bulk edit, a script) are one reload: the
// first schedules it, the others within the pause join it.
import { useEffect, useRef } from "react";
import { useConfigChanges, type ConfigKind } from "../admin/useConfigChanges";

const COALESCE_MS = 250;

export function useConfigReload(kinds: ConfigKind[], reload: () => void): void {
  const latest = useRef(reload);
  latest.current = reload;
  const timer = useRef<number | null>(null);
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );
  useConfigChanges(kinds, () => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      latest.current();
    }, COALESCE_MS);
  });
}
