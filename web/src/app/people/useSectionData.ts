import type { TypedDocumentNode } from "@urql/core";
import { useCallback, useState } from "react";
import { useShell } from "../shell/context";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";

/** A section's data: fetched when the section opens, again after every reconnection and when
 * `reload` is called (after a change here, or a change announced by another admin). */
export function useSectionData<Data>(document: TypedDocumentNode<Data, Record<string, never>>, what: string): { data: Data | null; reload: () => void } {
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
  return { data, reload };
}
