// Heartbeat monitors in the admin console, across all sources: each pages through its source
// when a ping is overdue. The ping address holds a key stored hashed, so it is shown once, right
// after the monitor is made; the list shows each monitor's state, last ping and when the next
// one is due.
import type { Client } from "@urql/core";
import { useState, type FormEvent } from "react";
import {
  CreateHeartbeatMonitorDocument,
  DeleteHeartbeatMonitorDocument,
  SourceChoicesDocument,
  SourceHeartbeatsDocument,
  UpdateHeartbeatMonitorDocument,
  type SourceHeartbeatsQuery,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import { Link } from "../shell/Link";
import { CopyField } from "../sources/CopyField";
import { FieldMessage } from "../sources/FieldMessage";
import { fieldError, messageFor, unclaimed, type FieldError } from "../sources/fieldErrors";
import { need, useAdminData } from "../sources/useAdminData";
import type { SectionProps } from "./AdminConsole";
import "../sources/sources.css";

type Heartbeat = SourceHeartbeatsQuery["heartbeats"][number];

interface Loaded {
  sources: Array<{ id: string; name: string }>;
  heartbeats: Heartbeat[];
}

async function loadHeartbeats(client: Client): Promise<Loaded> {
  const choices = need(await client.query(SourceChoicesDocument, {}, { requestPolicy: "network-only" }).toPromise());
  const lists = await Promise.all(
    choices.alertSources.map(async (source) => need(await client.query(SourceHeartbeatsDocument, { id: source.id }, { requestPolicy: "network-only" }).toPromise()).heartbeats),
  );
  return { sources: choices.alertSources.map(({ id, name }) => ({ id, name })), heartbeats: lists.flat() };
}

const STATE_TEXT = { UNKNOWN: "no ping yet", HEALTHY: "healthy", OVERDUE: "overdue" } as const;

export function HeartbeatsSection(_props: SectionProps) {
  const { session } = useShell();
  const { data, reload } = useAdminData("the heartbeats", loadHeartbeats, ["HEARTBEAT", "SOURCE"]);
  const [made, setMade] = useState<{ id: string; url: string } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [result, setResult] = useState("");
  if (!data) return <section aria-busy="true" aria-label="Heartbeats" />;
  const names = new Map(data.sources.map((s) => [s.id, s.name]));
  const remove = async (heartbeat: Heartbeat) => {
    const answer = await session.client.mutation(DeleteHeartbeatMonitorDocument, { id: heartbeat.id }).toPromise();
    setResult(answer.error ? errorText(answer.error) : `${heartbeat.name} deleted.`);
    if (made?.id === heartbeat.id) setMade(null);
    reload();
  };
  return (
    <section aria-labelledby="section-title" data-ready="true">
      <h2 id="section-title">Heartbeats</h2>
      <p className="hint">
        A job pings its address at least once per interval; a missed ping opens an alert on its source. Monitors ping with{" "}
        <code>curl -fsS -X POST &lt;ping URL&gt;</code>.
      </p>
      {data.heartbeats.length === 0 && <p className="empty">No heartbeat monitors yet.</p>}
      <ul id="heartbeats" className="admin-list">
        {data.heartbeats.map((heartbeat) => (
          <li key={heartbeat.id} data-heartbeat-id={heartbeat.id} data-state={heartbeat.state}>
            <strong>{heartbeat.name}</strong> on {names.get(heartbeat.sourceId) ?? `source #${heartbeat.sourceId}`}: {STATE_TEXT[heartbeat.state]}, every{" "}
            {heartbeat.intervalSec} s
            <br />
            <span className="hint">
              {heartbeat.lastPingAt ? `Last ping ${formatTime(heartbeat.lastPingAt)}` : "Never pinged"}
              {heartbeat.dueAt ? `, next due ${formatTime(heartbeat.dueAt)}` : ""}, key <code>{heartbeat.keyPrefix}…</code>
              {heartbeat.alertId ? (
                <>
                  , <Link href={`/alerts/${heartbeat.alertId}`}>its alert</Link>
                </>
              ) : null}
            </span>
            {made?.id === heartbeat.id && <CopyField id={`ping-url-${heartbeat.id}`} label="Ping URL" value={made.url} />}
            {editing === heartbeat.id ? (
              <EditHeartbeat
                heartbeat={heartbeat}
                done={(text) => {
                  setEditing(null);
                  if (text) setResult(text);
                  reload();
                }}
              />
            ) : (
              <div className="admin-row">
                <button type="button" onClick={() => setEditing(heartbeat.id)} aria-label={`Edit ${heartbeat.name}`}>
                  Edit
                </button>
                <button type="button" onClick={() => remove(heartbeat)} aria-label={`Delete ${heartbeat.name}`}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <p id="heartbeats-result" role="status" aria-live="polite">
        {result}
      </p>
      <CreateHeartbeat
        sources={data.sources}
        made={(id, url) => {
          setMade({ id, url });
          setResult("Monitor made. Copy its ping URL now: it is not shown again.");
          reload();
        }}
      />
    </section>
  );
}

function EditHeartbeat({ heartbeat, done }: { heartbeat: Heartbeat; done: (text: string) => void }) {
  const { session } = useShell();
  const [name, setName] = useState(heartbeat.name);
  const [interval, setInterval] = useState(String(heartbeat.intervalSec));
  const [error, setError] = useState<FieldError | null>(null);
  const prefix = `heartbeat-${heartbeat.id}`;
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await session.client.mutation(UpdateHeartbeatMonitorDocument, { id: heartbeat.id, name: name.trim(), interval: Number(interval) }).toPromise();
    if (answer.error) return setError(fieldError(answer.error, ["intervalSec"]));
    done(`${name.trim()} saved.`);
  };
  return (
    <form className="admin-form" aria-label={`Edit ${heartbeat.name}`} onSubmit={submit}>
      <label htmlFor={`${prefix}-name`}>Name of {heartbeat.name}</label>
      <input id={`${prefix}-name`} value={name} onChange={(e) => setName(e.currentTarget.value)} required aria-describedby={`${prefix}-name-error`} />
      <FieldMessage id={`${prefix}-name-error`} text={messageFor(error, "name")} />
      <label htmlFor={`${prefix}-interval`}>Interval of {heartbeat.name} (seconds)</label>
      <input id={`${prefix}-interval`} type="number" inputMode="numeric" value={interval} onChange={(e) => setInterval(e.currentTarget.value)} required aria-describedby={`${prefix}-interval-error`} />
      <FieldMessage id={`${prefix}-interval-error`} text={messageFor(error, "intervalSec")} />
      <div className="admin-row">
        <button type="submit">Save {heartbeat.name}</button>
        <button type="button" onClick={() => done("")}>
          Cancel
        </button>
      </div>
      <p role="status" aria-live="polite" className="problem">
        {unclaimed(error, ["name", "intervalSec"])}
      </p>
    </form>
  );
}

const FIELDS = ["sourceId", "name", "intervalSec"];

function CreateHeartbeat({ sources, made }: { sources: Loaded["sources"]; made: (id: string, url: string) => void }) {
  const { session } = useShell();
  const [source, setSource] = useState(sources[0]?.id ?? "");
  const [name, setName] = useState("");
  const [interval, setInterval] = useState("3600");
  const [error, setError] = useState<FieldError | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await session.client.mutation(CreateHeartbeatMonitorDocument, { source, name: name.trim(), interval: Number(interval) }).toPromise();
    if (answer.error) return setError(fieldError(answer.error, ["intervalSec"]));
    setError(null);
    setName("");
    const heartbeat = answer.data?.createHeartbeat;
    if (heartbeat) made(heartbeat.id, heartbeat.url ?? "");
  };
  return (
    <form className="admin-form admin-card" aria-labelledby="new-heartbeat-title" onSubmit={submit}>
      <h3 id="new-heartbeat-title">New heartbeat monitor</h3>
      <label htmlFor="heartbeat-source">Source</label>
      <select id="heartbeat-source" value={source} onChange={(e) => setSource(e.currentTarget.value)} aria-describedby="heartbeat-source-error">
        {sources.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <FieldMessage id="heartbeat-source-error" text={messageFor(error, "sourceId")} />
      <label htmlFor="heartbeat-name">Name</label>
      <input id="heartbeat-name" value={name} onChange={(e) => setName(e.currentTarget.value)} required aria-describedby="heartbeat-name-error" />
      <FieldMessage id="heartbeat-name-error" text={messageFor(error, "name")} />
      <label htmlFor="heartbeat-interval">Interval (seconds, 30 s to 30 days)</label>
      <input id="heartbeat-interval" type="number" inputMode="numeric" value={interval} onChange={(e) => setInterval(e.currentTarget.value)} required aria-describedby="heartbeat-interval-error" />
      <FieldMessage id="heartbeat-interval-error" text={messageFor(error, "intervalSec")} />
      <div className="admin-row">
        <button type="submit">Create monitor</button>
      </div>
      <p id="heartbeat-create-result" role="status" aria-live="polite" className="problem">
        {unclaimed(error, FIELDS)}
      </p>
    </form>
  );
}
