// Alert sources in the admin console: the list, a create form per integration type
// (/admin/sources/new), and one source's page (/admin/sources/<id>) with its address and key,
// settings and policy. The integration key is readable only in the answer that made it (create,
// rotate): the section keeps that answer while it is open, so the source's page shows the key
// right after it was made and never after a reload.
import { useCallback, useState, type FormEvent } from "react";
import { CreateSourceDocument, SourceChoicesDocument, type IntegrationType, type Priority, type SourceChoicesQuery } from "../../gql/graphql";
import type { SectionProps } from "../admin/AdminConsole";
import { useShell } from "../shell/context";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";
import { FieldMessage } from "./FieldMessage";
import { fieldError, messageFor, unclaimed, type FieldError } from "./fieldErrors";
import { INTEGRATION_LABELS, INTEGRATION_TYPES } from "./integration";
import { SourceDetail } from "./SourceDetail";
import { useConfigReload } from "./useConfigReload";
import "./sources.css";

export type SourceChoices = SourceChoicesQuery;

/** A key just made, for the source it belongs to. */
export interface RevealedKey {
  sourceId: string;
  key: string;
}

export function SourcesSection({ id }: SectionProps) {
  const { session, failed } = useShell();
  const [data, setData] = useState<SourceChoices | null>(null);
  const [revealed, setRevealed] = useState<RevealedKey | null>(null);
  const reload = useCallback(() => {
    void session.client
      .query(SourceChoicesDocument, {}, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load the alert sources", result.error);
        else if (result.data) setData(result.data);
      });
  }, [session, failed]);
  useRefetchOnConnect(reload);
  useConfigReload(["SOURCE", "POLICY", "TEAM", "SUPPORT_HOURS"], reload);

  if (!data) return <section aria-busy="true" aria-label="Alert sources" />;
  if (id === "new") return <CreateSource data={data} made={(sourceId, key) => { setRevealed({ sourceId, key }); reload(); navigate(`/admin/sources/${sourceId}`); }} />;
  if (id !== null) {
    const source = data.alertSources.find((s) => s.id === id);
    if (!source) {
      return (
        <section aria-labelledby="section-title">
          <h2 id="section-title">Alert source not found</h2>
          <p>
            It may have been deleted. <Link href="/admin/sources">All alert sources</Link>
          </p>
        </section>
      );
    }
    return (
      <SourceDetail
        key={source.id}
        source={source}
        choices={data}
        revealedKey={revealed?.sourceId === source.id ? revealed.key : null}
        reveal={(key) => setRevealed({ sourceId: source.id, key })}
        reload={reload}
      />
    );
  }
  return (
    <section aria-labelledby="section-title" data-ready="true">
      <h2 id="section-title">Alert sources</h2>
      <p className="hint">Each monitoring system or service that sends events is a source, with its own address, key and policy.</p>
      <p>
        <Link href="/admin/sources/new">New alert source</Link>
      </p>
      {data.alertSources.length === 0 && <p className="empty">No alert sources yet.</p>}
      <ul id="sources" className="admin-list">
        {data.alertSources.map((source) => (
          <li key={source.id} data-source-id={source.id}>
            <Link href={`/admin/sources/${source.id}`}>{source.name}</Link>
            <br />
            <span className="hint">
              {INTEGRATION_LABELS[source.integrationType]}, {source.defaultPriority} priority, pages {source.escalationPolicy?.name ?? "a policy you cannot see"}
              {source.team ? `, team ${source.team.name}` : ", organisation-wide"}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const CREATE_FIELDS = ["name", "escalationPolicyId", "integrationType", "defaultPriority", "teamId"];

function CreateSource({ data, made }: { data: SourceChoices; made: (sourceId: string, key: string) => void }) {
  const { session } = useShell();
  const [name, setName] = useState("");
  const [type, setType] = useState<IntegrationType>("API");
  const [policy, setPolicy] = useState(data.escalationPolicies[0]?.id ?? "");
  const [priority, setPriority] = useState<Priority>("HIGH");
  const [team, setTeam] = useState("");
  const [error, setError] = useState<FieldError | null>(null);
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    const answer = await session.client
      .mutation(CreateSourceDocument, { name: name.trim(), policy, type, priority, team: team || null })
      .toPromise();
    if (answer.error) return setError(fieldError(answer.error));
    const source = answer.data?.createAlertSource;
    if (source) made(source.id, source.integrationKey ?? "");
  };
  return (
    <section aria-labelledby="section-title">
      <h2 id="section-title">New alert source</h2>
      <p>
        <Link href="/admin/sources">All alert sources</Link>
      </p>
      <form className="admin-form admin-card" aria-label="New alert source" onSubmit={create}>
        <label htmlFor="source-name">Name</label>
        <input id="source-name" value={name} onChange={(e) => setName(e.currentTarget.value)} required maxLength={200} aria-describedby="source-name-error" />
        <FieldMessage id="source-name-error" text={messageFor(error, "name")} />
        <label htmlFor="source-type">Integration type</label>
        <select id="source-type" value={type} onChange={(e) => setType(e.currentTarget.value as IntegrationType)} aria-describedby="source-type-error">
          {INTEGRATION_TYPES.map((t) => (
            <option key={t} value={t}>
              {INTEGRATION_LABELS[t]}
            </option>
          ))}
        </select>
        <FieldMessage id="source-type-error" text={messageFor(error, "integrationType")} />
        <label htmlFor="source-policy">Escalation policy</label>
        <select id="source-policy" value={policy} onChange={(e) => setPolicy(e.currentTarget.value)} required aria-describedby="source-policy-error">
          {data.escalationPolicies.length === 0 && <option value="">No policies: make one first</option>}
          {data.escalationPolicies.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <FieldMessage id="source-policy-error" text={messageFor(error, "escalationPolicyId")} />
        <label htmlFor="source-priority">Default priority</label>
        <select id="source-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value as Priority)}>
          <option value="HIGH">HIGH</option>
          <option value="LOW">LOW</option>
        </select>
        <label htmlFor="source-team">Team</label>
        <select id="source-team" value={team} onChange={(e) => setTeam(e.currentTarget.value)} aria-describedby="source-team-error">
          <option value="">None (organisation-wide)</option>
          {data.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        <FieldMessage id="source-team-error" text={messageFor(error, "teamId")} />
        <div className="admin-row">
          <button type="submit">Create source</button>
        </div>
        <p id="source-create-result" role="status" aria-live="polite" className="problem">
          {unclaimed(error, CREATE_FIELDS)}
        </p>
      </form>
    </section>
  );
}
