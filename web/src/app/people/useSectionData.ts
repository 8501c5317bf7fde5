import type { TypedDocumentNode } from "@urql/core";
import { useCallback, useState } from "react";
import { useConfigChanges, type ConfigKind } from "../admin/useConfigChanges";
import { useShell } from "../shell/context";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";

/** A section's data: fetched when the section opens, again after every reconnection, at every
 * committed change of one of `kinds` (by anyone: another admin's edits show without a reload),
 * and when `reload` is called (after a change made here). */
export function useSectionData<Data>(
  document: TypedDocumentNode<Data, Record<string, never>>,
  what: string,
  kinds: ConfigKind[],
): { data: Data | null; reload: () => void } {
  const { session, failed } = useShell();
  const [data, setData] = useState<Data | null>(null);
  const reload = useCallback(() => {
    void session.client
      .query(document, {}, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed(what, result.error);
        else if (result.data) setData(result.data);
      });
  }, [session, failed, document, what]);
  useRefetchOnConnect(reload);
  useConfigChanges(kinds, reload);
  return { data, reload };
}
