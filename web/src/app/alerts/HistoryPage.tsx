// History: alerts by status (resolved by default), priority, source, team and text, newest
// first, 25 at a time with keyset paging ("Show more" continues after the last one shown).
import { useEffect, useState, type FormEvent } from "react";
import { HistoryDocument, HistoryFiltersDocument, type HistoryQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { navigate } from "../shell/router";
import { Time } from "../shell/Time";
import { useLoadOnce } from "../shell/useLoadOnce";
import { AlertSummary } from "./AlertSummary";
import { filtersToSearch, historyVariables, readFilters, type HistoryFilters } from "./historyFilters";

type Edge = HistoryQuery["alerts"]["edges"][number];
type Choice = { value: string; label: string };

const STATUS_CHOICES: Choice[] = [
  { value: "RESOLVED", label: "Resolved" },
  { value: "OPEN", label: "Open" },
  { value: "ANY", label: "Any" },
];
const PRIORITY_CHOICES: Choice[] = [
  { value: "", label: "Any" },
  { value: "HIGH", label: "High" },
  { value: "LOW", label: "Low" },
];

const anyOf = (named: readonly { id: string; name: string }[] | undefined): Choice[] => [
  { value: "", label: "Any" },
  ...(named ?? []).map((item) => ({ value: item.id, label: item.name })),
];

function FilterSelect({ label, name, value, options }: { label: string; name: string; value: string; options: Choice[] }) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={value}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function HistoryPage({ params }: { params: URLSearchParams }) {
  const { session, failed } = useShell();
  const search = params.toString();
  const { data: choices } = useLoadOnce(HistoryFiltersDocument, {});
  const [edges, setEdges] = useState<Edge[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const filters = readFilters(new URLSearchParams(search));

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
      <form className="filters" role="search" onSubmit={submit} key={`${search}|${choices ? "with" : "without"} choices`}>
        <label>
          Text
          <input name="text" type="search" defaultValue={filters.text} />
        </label>
        <FilterSelect label="Status" name="status" value={filters.status} options={STATUS_CHOICES} />
        <FilterSelect label="Priority" name="priority" value={filters.priority} options={PRIORITY_CHOICES} />
        <FilterSelect label="Source" name="source" value={filters.sourceId} options={anyOf(choices?.alertSources)} />
        <FilterSelect label="Team" name="team" value={filters.teamId} options={anyOf(choices?.teams)} />
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
