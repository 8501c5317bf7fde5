// One alert source's page: where it sends from (address and key, rotation), its settings
// (name, policy, priority, team), deleting it, and its policy: grouping and priority, the
// templates with a live preview, the event filter, the events it dropped and a test event.
import { useState, type FormEvent } from "react";
import { DeleteSourceDocument, RotateSourceKeyDocument, UpdateSourceDocument, type Priority, type SourceItemFragment } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { usePageTitle } from "../shell/usePageTitle";
import { CopyField } from "./CopyField";
import { FieldMessage } from "./FieldMessage";
import { fieldError, messageFor, unclaimed, type FieldError } from "../shell/fieldErrors";
import { INTEGRATION_LABELS, integrationAddress } from "./integration";
import { SourcePolicy } from "./SourcePolicy";
import { TestEvent } from "./TestEvent";
import type { SourceChoices } from "./SourcesSection";
import { ConfirmDelete } from "../admin/ConfirmDelete";

interface Props {
  source: SourceItemFragment;
  choices: SourceChoices;
  revealedKey: string | null;
  reveal: (key: string) => void;
  /** Loads the sources again; resolves once they are shown. */
  reload: () => Promise<void>;
}

export function SourceDetail({ source, choices, revealedKey, reveal, reload }: Props) {
  usePageTitle(source.name);
  return (
    <section aria-labelledby="section-title" data-ready="true" data-source-id={source.id}>
      <h2 id="section-title">{source.name}</h2>
      <p>
        <Link href="/admin/sources">All alert sources</Link>
      </p>
      <Integration source={source} emailDomain={choices.emailIntakeDomain} revealedKey={revealedKey} reveal={reveal} />
      <SourceSettings source={source} choices={choices} reload={reload} />
      <SourcePolicy source={source} choices={choices} />
      <TestEvent source={source} />
      <DeleteSource source={source} reload={reload} />
    </section>
  );
}

function Integration({ source, emailDomain, revealedKey, reveal }: Pick<Props, "source" | "revealedKey" | "reveal"> & { emailDomain: string | null }) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const { label, address, hint } = integrationAddress(source.integrationType, window.location.origin, revealedKey, emailDomain);
  const rotate = async () => {
    const answer = await session.client.mutation(RotateSourceKeyDocument, { id: source.id }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    const key = answer.data?.rotateIntegrationKey.integrationKey;
    if (key) {
      reveal(key);
      setResult("New key made: the old one stopped working. Copy it now: it is not shown again.");
    }
  };
  return (
    <section aria-labelledby="integration-title" className="admin-card">
      <h3 id="integration-title">Where events go</h3>
      <p>{INTEGRATION_LABELS[source.integrationType]}</p>
      {address !== null && <CopyField id="integration-url" label={label} value={address} />}
      {hint && (
        <p id="integration-hint" className="hint">
          {hint}
        </p>
      )}
      {source.integrationType === "HEARTBEAT" && (
        <p className="hint">
          Each heartbeat monitor has its own ping address: <Link href="/admin/heartbeats">Heartbeats</Link>.
        </p>
      )}
      {revealedKey ? (
        <>
          <CopyField id="integration-key" label="Integration key" value={revealedKey} />
          <p className="hint">Copy the key now: it is stored hashed and not shown again.</p>
        </>
      ) : (
        <p>
          Key <code>{source.integrationKeyPrefix ?? ""}…</code> (shown only when made; rotate it to get a new one).
        </p>
      )}
      <button type="button" onClick={rotate}>
        Rotate key
      </button>
      <p id="integration-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}

const SETTINGS_FIELDS = ["name", "escalationPolicyId", "defaultPriority", "teamId"];

function SourceSettings({ source, choices, reload }: Pick<Props, "source" | "choices" | "reload">) {
  const { session } = useShell();
  const [name, setName] = useState(source.name);
  const [policy, setPolicy] = useState(source.escalationPolicy?.id ?? "");
  const [priority, setPriority] = useState<Priority>(source.defaultPriority);
  const [team, setTeam] = useState(source.team?.id ?? "");
  const [error, setError] = useState<FieldError | null>(null);
  const [result, setResult] = useState("");
  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setResult("");
    const answer = await session.client
      .mutation(UpdateSourceDocument, { id: source.id, name: name.trim(), policy: policy || null, priority, team: team || null })
      .toPromise();
    if (answer.error) return setError(fieldError(answer.error));
    setResult("Saved.");
    void reload();
  };
  return (
    <form className="admin-form admin-card" aria-labelledby="settings-title" onSubmit={save}>
      <h3 id="settings-title">Settings</h3>
      <label htmlFor="edit-source-name">Name</label>
      <input id="edit-source-name" value={name} onChange={(e) => setName(e.currentTarget.value)} required maxLength={200} aria-describedby="edit-source-name-error" />
      <FieldMessage id="edit-source-name-error" text={messageFor(error, "name")} />
      <label htmlFor="edit-source-policy">Escalation policy</label>
      <select id="edit-source-policy" value={policy} onChange={(e) => setPolicy(e.currentTarget.value)} aria-describedby="edit-source-policy-error">
        {!source.escalationPolicy && <option value="">(a policy you cannot see)</option>}
        {choices.escalationPolicies.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      <FieldMessage id="edit-source-policy-error" text={messageFor(error, "escalationPolicyId")} />
      <label htmlFor="edit-source-priority">Default priority</label>
      <select id="edit-source-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value as Priority)}>
        <option value="HIGH">HIGH</option>
        <option value="LOW">LOW</option>
      </select>
      <label htmlFor="edit-source-team">Team</label>
      <select id="edit-source-team" value={team} onChange={(e) => setTeam(e.currentTarget.value)} aria-describedby="edit-source-team-error">
        <option value="">None (organisation-wide)</option>
        {choices.teams.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      <FieldMessage id="edit-source-team-error" text={messageFor(error, "teamId")} />
      <div className="admin-row">
        <button type="submit">Save settings</button>
      </div>
      <p id="settings-result" role="status" aria-live="polite">
        {unclaimed(error, SETTINGS_FIELDS) || result}
      </p>
    </form>
  );
}

function DeleteSource({ source, reload }: Pick<Props, "source" | "reload">) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const remove = async () => {
    const answer = await session.client.mutation(DeleteSourceDocument, { id: source.id }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    // The list without it first, so it is not shown there for a moment after the delete.
    await reload();
    navigate("/admin/sources");
  };
  return (
    <section aria-labelledby="delete-title" className="admin-card">
      <h3 id="delete-title">Delete</h3>
      <ConfirmDelete
        start="Delete source"
        question={`Delete ${source.name}? Monitors sending to it will be refused.`}
        confirm={`Yes, delete ${source.name}`}
        onDelete={remove}
        className="admin-row"
      />
      <p id="delete-result" role="status" aria-live="polite" className="problem">
        {result}
      </p>
    </section>
  );
}
