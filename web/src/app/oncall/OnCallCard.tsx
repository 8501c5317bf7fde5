// "On call now": who each schedule and level 1 of each policy would page. Loaded with the page,
// after every reconnection and every minute (shifts change on the hour, not on events); marked
// "not live since" while the connection is down, like the alert list.
import { useCallback, useState } from "react";
import { OnCallNowDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { NotLiveSince } from "../shell/NotLiveSince";
import { useStaleness } from "../shell/useStaleness";
import { usePolled } from "./usePolled";
import { onCallRows, type OnCallRow } from "./rows";

const REFRESH_MS = 60_000;

export function OnCallCard() {
  const { session, failed } = useShell();
  const [rows, setRows] = useState<OnCallRow[] | null>(null);
  const { staleSince, startRefetch, refreshed, unreachable } = useStaleness();
  const load = useCallback(() => {
    const epoch = startRefetch();
    void session.client
      .query(OnCallNowDocument, {})
      .toPromise()
      .then((result) => {
        if (result.error?.networkError) unreachable();
        if (result.error) failed("Could not load who is on call", result.error);
        else if (result.data) {
          setRows(onCallRows(result.data));
          refreshed(epoch);
        }
      });
  }, [session, failed, startRefetch, refreshed, unreachable]);
  usePolled(load, REFRESH_MS);
  return (
    <aside className="card oncall-card" aria-labelledby="oncall-title">
      <h2 id="oncall-title">On call now</h2>
      <NotLiveSince since={staleSince} id="oncall-stale" />
      <ul id="oncall" className="oncall">
        {rows?.length === 0 && <li>Nobody is on call.</li>}
        {rows?.map((row) => (
          <li key={row.key}>
            <strong>{row.who}</strong> ({row.where})
          </li>
        ))}
      </ul>
    </aside>
  );
}
