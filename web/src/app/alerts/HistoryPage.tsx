// History: alerts by status (resolved by default), priority, source, team and text, newest
// first, 25 at a time with keyset paging ("Show more" continues after the last one shown).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { HistoryDocument, HistoryFiltersDocument, type HistoryQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { navigate } from "../shell/router";
import { Time } from "../shell/Time";
import { useLoadOnce } from "../shell/useLoadOnce";
import { usePageTitle } from "../shell/usePageTitle";
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

function FilterSelect(props: { label: string; value: string; options: Choice[]; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(event) => props.onChange(event.currentTarget.value)}>
        {props.options.map((option) => (
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
  usePageTitle("History");
  const [edges, setEdges] = useState<Edge[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  // The form's values until Search puts them in the address (which then loads the results).
  const [draft, setDraft] = useState<HistoryFilters>(() => readFilters(new URLSearchParams(search)));
  const change = (part: Partial<HistoryFilters>) => setDraft((before) => ({ ...before, ...part }));
  // Only the newest search's answers are shown: an older one arriving late is dropped.
  const asked = useRef(0);

  const fetchPage = async (after: string | null) => {
    const ask = ++asked.current;
    setLoading(true);
    const result = await session.client.query(HistoryDocument, historyVariables(readFilters(new URLSearchParams(search)), after)).toPromise();
    if (ask !== asked.current) return;
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
    setDraft(readFilters(new URLSearchParams(search)));
    setEdges(null);
    void fetchPage(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new search is a new address
  }, [search, session]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    navigate(`/history${filtersToSearch(draft)}`);
  };

  return (
    <section className="history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <form className="filters" role="search" onSubmit={submit}>
        <label>
          Text
          <input type="search" value={draft.text} onChange={(event) => change({ text: event.currentTarget.value })} />
        </label>
        <FilterSelect label="Status" value={draft.status} options={STATUS_CHOICES} onChange={(v) => change({ status: readFilters(new URLSearchParams({ status: v })).status })} />
        <FilterSelect label="Priority" value={draft.priority} options={PRIORITY_CHOICES} onChange={(v) => change({ priority: readFilters(new URLSearchParams({ priority: v })).priority })} />
        <FilterSelect label="Source" value={draft.sourceId} options={anyOf(choices?.alertSources)} onChange={(v) => change({ sourceId: v })} />
        <FilterSelect label="Team" value={draft.teamId} options={anyOf(choices?.teams)} onChange={(v) => change({ teamId: v })} />
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
