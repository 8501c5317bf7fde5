import { useEffect, useState } from "react";
import { ViewerDocument, type ViewerQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";

export type Viewer = ViewerQuery["me"];

/** Who is signed in (name and role), loaded once per session. */
export function useViewer(): Viewer | null {
  const { session, failed } = useShell();
  const [viewer, setViewer] = useState<Viewer | null>(null);
  useEffect(() => {
    let current = true;
    void session.client
      .query(ViewerDocument, {})
      .toPromise()
      .then((result) => {
        if (!current) return;
        if (result.error) failed("Could not load who you are", result.error);
        else if (result.data) setViewer(result.data.me);
      });
    return () => {
      current = false;
    };
  }, [session, failed]);
  return viewer;
}
