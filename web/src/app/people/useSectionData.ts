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
): { data: Data | null; reload: () => Promise<void> } {
  const { session, failed } = useShell();
  const [data, setData] = useState<Data | null>(null);
  // Resolves once the answer is shown: a page that navigates after a delete waits for it, so the
  // list it opens never shows what was just deleted.
  const reload = useCallback(
    () =>
      session.client
        .query(document, {}, { requestPolicy: "network-only" })
        .toPromise()
        .then((result) => {
          if (result.error) failed(what, result.error);
          else if (result.data) setData(result.data);
        }),
    [session, failed, document, what],
  );
  useRefetchOnConnect(reload);
  useConfigChanges(kinds, reload);
  return { data, reload };
}
