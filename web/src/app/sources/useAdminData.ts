// What a console section shows: loaded when the live connection is up, again after each
// reconnection, after each change the section makes (`reload`) and when a change of the given
// kinds is made anywhere (another admin, another tab).
import type { Client, CombinedError, OperationResult } from "@urql/core";
import { useCallback, useState } from "react";
import { useShell } from "../shell/context";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";
import { useConfigReload } from "./useConfigReload";

export function useAdminData<T>(what: string, load: (client: Client) => Promise<T>, kinds: string[]): { data: T | null; reload: () => void } {
  const { session, failed } = useShell();
  const [data, setData] = useState<T | null>(null);
  const reload = useCallback(() => {
    void load(session.client).then(
      (loaded) => setData(loaded),
      (error: CombinedError) => failed(`Could not load ${what}`, error),
    );
    // `load` is a function of the section, the same for its life.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session, failed, what]);
  useRefetchOnConnect(reload);
  useConfigReload(kinds, reload);
  return { data, reload };
}

/** A query's data, or its error thrown (for the loaders of useAdminData). */
export function need<Data>(result: OperationResult<Data>): Data {
  if (result.error) throw result.error;
  if (!result.data) throw new Error("no data");
  return result.data;
}
