import { useEffect } from "react";
import { ViewerDocument, type ViewerQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { useLoadOnce } from "../shell/useLoadOnce";

export type Viewer = ViewerQuery["me"];

/** Who is signed in (name and role), loaded once per session. */
export function useViewer(): Viewer | null {
  const { failed } = useShell();
  const { data, error } = useLoadOnce(ViewerDocument, {});
  useEffect(() => {
    if (error) failed("Could not load who you are", error);
  }, [error, failed]);
  return data?.me ?? null;
}
