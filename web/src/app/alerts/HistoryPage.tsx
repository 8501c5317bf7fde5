// History: alerts by status (resolved by default), priority, source, team and text, newest
// first, 25 at a time with keyset paging ("Show more" continues after the last one shown).
import { useEffect, useState, type FormEvent } from "react";
import { HistoryDocument, HistoryFiltersDocument, type HistoryFiltersQuery, type HistoryQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { navigate } from "../shell/router";
import { Time } from "../shell/Time";
import { AlertSummary } from "./AlertSummary";
import { filtersToSearch, historyVariables, readFilters, type HistoryFilters } from "./historyFilters";

type Edge = HistoryQuery["alerts"]["edges"][number];

export function HistoryPage({ params }: { params: URLSearchParams }) {
  const { session, failed } = useShell();
  const search = params.toString();
  const [choices, setChoices] = useState<HistoryFiltersQuery | null>(null);
  const [edges, setEdges] = useState<Edge[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const filters = readFilters(new URLSearchParams(search));

  useEffect(() => {
    void session.client
      .query(HistoryFiltersDocument, {})
      .toPromise()
      .then((result) => result.data && setChoices(result.data));
  }, [session]);

  const fetchPage = async (after: string | null) => {
    setLoading(true);
    const result = await session.client.query(HistoryDocument, historyVariables(readFilters(new URLSearchParams(search)), after)).toPromise();
    setLoading(false);
    if (result.error) {
      failed("Could not search the alerts", result.error);
      return;
    }
    if (!result.data) return;
    const page = result.data.alerts;
    setEdges((before) => [...(after ? before ?? [] : []), ...page.edges]);
    setNext(page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
  };

  useEffect(() => {
    setEdges(null);
    void fetchPage(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new search is a new address
  }, [search, session]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const chosen: HistoryFilters = readFilters(
      new URLSearchParams({
        status: String(form.get("status") ?? ""),
        priority: String(form.get("priority") ?? ""),
        source: String(form.get("source") ?? ""),
        team: String(form.get("team") ?? ""),
        text: String(form.get("text") ?? ""),
      }),
    );
    navigate(`/history${filtersToSearch(chosen)}`);
  };

  return (
    <section className="history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <form className="filters" role="search" onSubmit={submit} key={search}>
        <label>
          Text
          <input name="text" type="search" defaultValue={filters.text} />
        </label>
        <label>
          Status
          <select name="status" defaultValue={filters.status}>
            <option value="RESOLVED">Resolved</option>
            <option value="OPEN">Open</option>
            <option value="ANY">Any</option>
          </select>
        </label>
        <label>
          Priority
          <select name="priority" defaultValue={filters.priority}>
            <option value="">Any</option>
            <option value="HIGH">High</option>
            <option value="LOW">Low</option>
          </select>
        </label>
        <label>
          Source
          <select name="source" defaultValue={filters.sourceId}>
            <option value="">Any</option>
            {choices?.alertSources.map((source) => (
              <option key={source.id} value={source.id}>
                {source.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Team
          <select name="team" defaultValue={filters.teamId}>
            <option value="">Any</option>
            {choices?.teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      {edges?.length === 0 && <p className="empty">No alerts match.</p>}
      <ol id="history" className="alerts" aria-busy={loading}>
        {edges?.map(({ node }) => (
          <li key={node.id} className="alert" data-alert-id={node.id}>
            <div className="alert-body">
              <AlertSummary alert={node} />
              {node.resolvedAt && (
                <p className="hint">
                  Resolved <Time at={node.resolvedAt} />
                </p>
              )}
            </div>
          </li>
        ))}
      </ol>
      {next && (
        <button type="button" disabled={loading} onClick={() => fetchPage(next)}>
          Show more
        </button>
      )}
    </section>
  );
}
