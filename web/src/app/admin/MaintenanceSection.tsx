// Maintenance windows in the admin console: while one is on, its sources' events open no alerts
// (they are kept as dropped events). Listed across all sources, planned and running first; a
// window is made for one or more sources, edited, ended now (a running one), or deleted (planned or ended ones: the
// server refuses to delete a running window, which is ended instead).
import type { Client } from "@urql/core";
import { useState, type FormEvent } from "react";
import {
  CreateMaintenanceDocument,
  DeleteMaintenanceDocument,
  EndMaintenanceDocument,
  SourceChoicesDocument,
  SourceMaintenanceDocument,
  UpdateMaintenanceDocument,
  type SourceMaintenanceQuery,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { FieldMessage } from "../sources/FieldMessage";
import { fieldError, messageFor, unclaimed, type FieldError } from "../sources/fieldErrors";
import { fromLocalInput, toLocalInput } from "../sources/times";
import { need, useAdminData } from "../sources/useAdminData";
import type { SectionProps } from "./AdminConsole";
import "../sources/sources.css";

type Window = SourceMaintenanceQuery["maintenanceWindows"][number];

interface Loaded {
  sources: Array<{ id: string; name: string }>;
  windows: Window[];
}

async function loadWindows(client: Client): Promise<Loaded> {
  const choices = need(await client.query(SourceChoicesDocument, {}, { requestPolicy: "network-only" }).toPromise());
  const lists = await Promise.all(
    choices.alertSources.map(async (source) => need(await client.query(SourceMaintenanceDocument, { id: source.id }, { requestPolicy: "network-only" }).toPromise())),
  );
  // A window of several sources comes once per source.
  const byId = new Map<string, Window>();
  for (const list of lists) for (const window of list.maintenanceWindows) byId.set(window.id, window);
  const windows = [...byId.values()].sort((a, b) => Date.parse(b.end) - Date.parse(a.end));
  return { sources: choices.alertSources.map(({ id, name }) => ({ id, name })), windows };
}

function stateOf(window: Window, now: number): "planned" | "running" | "ended" {
  if (Date.parse(window.end) <= now) return "ended";
  return Date.parse(window.start) <= now ? "running" : "planned";
}

export function MaintenanceSection({ id }: SectionProps) {
  const { data, reload } = useAdminData("the maintenance windows", loadWindows, ["MAINTENANCE", "SOURCE"]);
  if (!data) return <section aria-busy="true" aria-label="Maintenance windows" />;
  const done = () => {
    reload();
    navigate("/admin/maintenance");
  };
  if (id === "new") return <WindowForm window={null} sources={data.sources} done={done} />;
  if (id !== null) {
    const window = data.windows.find((w) => w.id === id);
    if (!window) {
      return (
        <section aria-labelledby="section-title">
          <h2 id="section-title">Maintenance window not found</h2>
          <p>
            It may have been deleted. <Link href="/admin/maintenance">All maintenance windows</Link>
          </p>
        </section>
      );
    }
    return <WindowForm key={window.id} window={window} sources={data.sources} done={done} />;
  }
  return <WindowList data={data} reload={reload} />;
}

function WindowList({ data, reload }: { data: Loaded; reload: () => void }) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const now = Date.now();
  const names = new Map(data.sources.map((s) => [s.id, s.name]));
  const end = async (window: Window) => {
    const answer = await session.client.mutation(EndMaintenanceDocument, { id: window.id }).toPromise();
    setResult(answer.error ? errorText(answer.error) : `${window.summary} ended.`);
    reload();
  };
  const remove = async (window: Window) => {
    const answer = await session.client.mutation(DeleteMaintenanceDocument, { id: window.id }).toPromise();
    setResult(answer.error ? errorText(answer.error) : `${window.summary} deleted.`);
    reload();
  };
  return (
    <section aria-labelledby="section-title" data-ready="true">
      <h2 id="section-title">Maintenance windows</h2>
      <p className="hint">While a window is on, its sources' events open no alerts and page no one.</p>
      <p>
        <Link href="/admin/maintenance/new">New maintenance window</Link>
      </p>
      {data.windows.length === 0 && <p className="empty">No maintenance windows.</p>}
      <ul id="maintenance-windows" className="admin-list">
        {data.windows.map((window) => {
          const state = stateOf(window, now);
          return (
            <li key={window.id} data-window-id={window.id} data-state={state}>
              <strong>{window.summary}</strong> ({state}): {formatTime(window.start)} to {formatTime(window.end)}
              <br />
              <span className="hint">Sources: {window.sourceIds.map((id) => names.get(id) ?? `#${id}`).join(", ")}</span>
              <div className="admin-row">
                {state !== "ended" && (
                  <Link href={`/admin/maintenance/${window.id}`} aria-label={`Edit ${window.summary}`}>
                    Edit
                  </Link>
                )}
                {state === "running" && (
                  <button type="button" onClick={() => end(window)} aria-label={`End now: ${window.summary}`}>
                    End now
                  </button>
                )}
                {state !== "running" && (
                  <button type="button" onClick={() => remove(window)} aria-label={`Delete ${window.summary}`}>
                    Delete
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      <p id="maintenance-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}

const FIELDS = ["summary", "start", "end", "sourceIds"];

function WindowForm({ window, sources, done }: { window: Window | null; sources: Loaded["sources"]; done: () => void }) {
  const { session } = useShell();
  const [summary, setSummary] = useState(window?.summary ?? "");
  const [start, setStart] = useState(() => toLocalInput(window?.start ?? new Date().toISOString()));
  const [end, setEnd] = useState(() => toLocalInput(window?.end ?? new Date(Date.now() + 3_600_000).toISOString()));
  const [chosen, setChosen] = useState<string[]>(window?.sourceIds ?? []);
  const title = window ? `Edit ${window.summary}` : "New maintenance window";
  const [error, setError] = useState<FieldError | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const from = fromLocalInput(start);
    const until = fromLocalInput(end);
    if (!from) return setError({ field: "start", message: "Give the start date and time." });
    if (!until) return setError({ field: "end", message: "Give the end date and time." });
    const values = { summary: summary.trim(), start: from, end: until, sources: chosen };
    const answer = window
      ? await session.client.mutation(UpdateMaintenanceDocument, { id: window.id, ...values }).toPromise()
      : await session.client.mutation(CreateMaintenanceDocument, values).toPromise();
    if (answer.error) return setError(fieldError(answer.error));
    done();
  };
  const toggle = (id: string, on: boolean) => setChosen((ids) => (on ? [...ids, id] : ids.filter((x) => x !== id)));
  return (
    <section aria-labelledby="section-title">
      <h2 id="section-title">{title}</h2>
      <p>
        <Link href="/admin/maintenance">All maintenance windows</Link>
      </p>
      <form className="admin-form admin-card" aria-label={title} onSubmit={submit}>
        <label htmlFor="window-summary">Summary</label>
        <input id="window-summary" value={summary} onChange={(e) => setSummary(e.currentTarget.value)} required aria-describedby="window-summary-error" />
        <FieldMessage id="window-summary-error" text={messageFor(error, "summary")} />
        <label htmlFor="window-start">Start</label>
        <input id="window-start" type="datetime-local" value={start} onChange={(e) => setStart(e.currentTarget.value)} required aria-describedby="window-start-error" />
        <FieldMessage id="window-start-error" text={messageFor(error, "start")} />
        <label htmlFor="window-end">End</label>
        <input id="window-end" type="datetime-local" value={end} onChange={(e) => setEnd(e.currentTarget.value)} required aria-describedby="window-end-error" />
        <FieldMessage id="window-end-error" text={messageFor(error, "end")} />
        <fieldset aria-describedby="window-sources-error">
          <legend>Sources</legend>
          {sources.map((source) => (
            <div key={source.id} className="admin-row">
              <input id={`window-source-${source.id}`} type="checkbox" checked={chosen.includes(source.id)} onChange={(e) => toggle(source.id, e.currentTarget.checked)} />
              <label htmlFor={`window-source-${source.id}`}>{source.name}</label>
            </div>
          ))}
          <FieldMessage id="window-sources-error" text={messageFor(error, "sourceIds")} />
        </fieldset>
        <div className="admin-row">
          <button type="submit">{window ? "Save window" : "Create window"}</button>
        </div>
        <p id="window-result" role="status" aria-live="polite" className="problem">
          {unclaimed(error, FIELDS)}
        </p>
      </form>
    </section>
  );
}
