import type { AnyVariables, CombinedError, TypedDocumentNode } from "@urql/core";
import { useEffect, useState } from "react";
import { useShell } from "./context";

/** A query run once per session (who I am, the history's filter choices, the setup warnings):
 * its data once it arrived, or its error. */
export function useLoadOnce<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): { data: Data | null; error: CombinedError | null } {
  const { session } = useShell();
  const [answer, setAnswer] = useState<{ data: Data | null; error: CombinedError | null }>({ data: null, error: null });
  useEffect(() => {
    let current = true;
    void session.client
      .query(document, variables)
      .toPromise()
      .then((result) => {
        if (current) setAnswer({ data: result.data ?? null, error: result.error ?? null });
      });
    return () => {
      current = false;
    };
    // The variables of these queries are constants.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session, document]);
  return answer;
}
