// Alert actions in the admin console: webhooks and Slack messages sent when alerts change, for
// one source or all sources of a team. Listed across all sources; each can be enabled or
// disabled, edited, deleted, and (a MANUAL one) run on an alert, whose delivery log is then shown. The
// signing secret is in the create answer only, so it is shown once.
import type { Client } from "@urql/core";
import { useState, type FormEvent } from "react";
import {
  ActionDeliveriesDocument,
  CreateActionDocument,
  DeleteActionDocument,
  RunActionDocument,
  SetActionEnabledDocument,
  SourceAlertActionsDocument,
  SourceChoicesDocument,
  UpdateActionDocument,
  type ActionDeliveriesQuery,
  type AlertActionKind,
  type AlertActionMode,
  type AlertActionTrigger,
  type SourceAlertActionsQuery,
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

type Action = SourceAlertActionsQuery["alertActions"][number];
type Delivery = ActionDeliveriesQuery["alertActionDeliveries"][number];

interface Loaded {
  sources: Array<{ id: string; name: string }>;
  teams: Array<{ id: string; name: string }>;
  actions: Action[];
}

const TRIGGERS: readonly AlertActionTrigger[] = ["ALERT_CREATED", "ALERT_ACCEPTED", "ALERT_RESOLVED", "ALERT_ESCALATED", "COMMENT_ADDED"];

async function loadActions(client: Client): Promise<Loaded> {
  const choices = need(await client.query(SourceChoicesDocument, {}, { requestPolicy: "network-only" }).toPromise());
  const lists = await Promise.all(
    choices.alertSources.map(async (source) => need(await client.query(SourceAlertActionsDocument, { id: source.id }, { requestPolicy: "network-only" }).toPromise()).alertActions),
  );
  // A team's action comes with each source of the team.
  const byId = new Map<string, Action>();
  for (const action of lists.flat()) byId.set(action.id, action);
  return {
    sources: choices.alertSources.map(({ id, name }) => ({ id, name })),
    teams: choices.teams,
    actions: [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id)),
  };
}

export function ActionsSection(_props: SectionProps) {
  const { data, reload } = useAdminData("the alert actions", loadActions, ["ALERT_ACTION", "SOURCE", "TEAM"]);
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [result, setResult] = useState("");
  if (!data) return <section aria-busy="true" aria-label="Alert actions" />;
  const sourceNames = new Map(data.sources.map((s) => [s.id, s.name]));
  const teamNames = new Map(data.teams.map((t) => [t.id, t.name]));
  const scope = (action: Action) =>
    action.sourceId ? `source ${sourceNames.get(action.sourceId) ?? `#${action.sourceId}`}` : `every source of team ${teamNames.get(action.teamId ?? "") ?? `#${action.teamId}`}`;
  return (
    <section aria-labelledby="section-title" data-ready="true">
      <h2 id="section-title">Alert actions</h2>
      <p className="hint">Call a webhook or post to Slack when alerts of a source or a team change.</p>
      {data.actions.length === 0 && <p className="empty">No alert actions yet.</p>}
      <ul id="alert-actions" className="admin-list">
        {data.actions.map((action) => (
          <ActionItem
            key={action.id}
            action={action}
            scope={scope(action)}
            secret={secret?.id === action.id ? secret.secret : null}
            changed={(text) => {
              setResult(text);
              reload();
            }}
          />
        ))}
      </ul>
      <p id="actions-result" role="status" aria-live="polite">
        {result}
      </p>
      <CreateAction
        data={data}
        made={(id, made) => {
          setSecret({ id, secret: made });
          setResult("Action made. Copy its signing secret now: it is not shown again.");
          reload();
        }}
      />
    </section>
  );
}

function ActionItem({ action, scope, secret, changed }: { action: Action; scope: string; secret: string | null; changed: (text: string) => void }) {
  const { session } = useShell();
  const [alertId, setAlertId] = useState("");
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [runResult, setRunResult] = useState("");
  const [editing, setEditing] = useState(false);
  const toggle = async () => {
    const answer = await session.client.mutation(SetActionEnabledDocument, { id: action.id, enabled: !action.enabled }).toPromise();
    changed(answer.error ? errorText(answer.error) : `${action.name} ${action.enabled ? "disabled" : "enabled"}.`);
  };
  const remove = async () => {
    const answer = await session.client.mutation(DeleteActionDocument, { id: action.id }).toPromise();
    changed(answer.error ? errorText(answer.error) : `${action.name} deleted.`);
  };
  const showLog = async (alert: string) => {
    const answer = await session.client.query(ActionDeliveriesDocument, { alert }, { requestPolicy: "network-only" }).toPromise();
    if (answer.error) return setRunResult(errorText(answer.error));
    setDeliveries((answer.data?.alertActionDeliveries ?? []).filter((d) => d.actionId === action.id));
  };
  const run = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const alert = alertId.trim();
    const answer = await session.client.mutation(RunActionDocument, { action: action.id, alert }).toPromise();
    setRunResult(answer.error ? errorText(answer.error) : `Run on alert #${alert}: ${answer.data?.runAlertAction.status ?? ""}.`);
    await showLog(alert);
  };
  return (
    <li data-action-id={action.id} data-enabled={action.enabled}>
      <strong>{action.name}</strong> ({action.kind === "SLACK" ? "Slack" : "webhook"}, {action.mode === "MANUAL" ? "run by hand" : "automatic"},{" "}
      {action.enabled ? "enabled" : "disabled"}) for {scope}
      <br />
      <span className="hint">
        <code className="secret">{action.url}</code>
        {action.mode === "AUTOMATIC" ? ` on ${action.triggers.join(", ")}` : ""}
      </span>
      {secret && <CopyField id={`action-secret-${action.id}`} label="Signing secret" value={secret} />}
      {editing && (
        <EditAction
          action={action}
          done={(text) => {
            setEditing(false);
            if (text) changed(text);
          }}
        />
      )}
      <div className="admin-row">
        {!editing && (
          <button type="button" onClick={() => setEditing(true)} aria-label={`Edit ${action.name}`}>
            Edit
          </button>
        )}
        <button type="button" onClick={toggle} aria-label={`${action.enabled ? "Disable" : "Enable"} ${action.name}`}>
          {action.enabled ? "Disable" : "Enable"}
        </button>
        <button type="button" onClick={remove} aria-label={`Delete ${action.name}`}>
          Delete
        </button>
      </div>
      <form className="admin-row" aria-label={`Deliveries of ${action.name}`} onSubmit={run}>
        <label htmlFor={`action-alert-${action.id}`}>Alert number for {action.name}</label>
        <input id={`action-alert-${action.id}`} inputMode="numeric" value={alertId} onChange={(e) => setAlertId(e.currentTarget.value)} required />
        {action.mode === "MANUAL" && <button type="submit">Run on this alert</button>}
        <button type="button" onClick={() => alertId.trim() && showLog(alertId.trim())}>
          Show deliveries
        </button>
      </form>
      <p role="status" aria-live="polite">
        {runResult}
      </p>
      {deliveries && (
        <ul className="plain-list" aria-label={`Deliveries of ${action.name} for alert #${alertId.trim()}`}>
          {deliveries.length === 0 && <li className="empty">No deliveries for that alert.</li>}
          {deliveries.map((d) => (
            <li key={d.id}>
              {d.trigger}: {d.status}, {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
              {d.statusCode !== null ? `, HTTP ${d.statusCode}` : ""}
              {d.deliveredAt ? `, delivered ${formatTime(d.deliveredAt)}` : `, next ${formatTime(d.nextAttemptAt)}`}
              {d.lastError ? `: ${d.lastError}` : ""} (<Link href={`/alerts/${d.alertId}`}>alert #{d.alertId}</Link>)
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function TriggerChoices({ prefix, triggers, setTriggers, error }: { prefix: string; triggers: AlertActionTrigger[]; setTriggers: (t: AlertActionTrigger[]) => void; error: string }) {
  return (
    <fieldset aria-describedby={`${prefix}-triggers-error`}>
      <legend>When</legend>
      {TRIGGERS.map((trigger) => (
        <div key={trigger} className="admin-row">
          <input
            id={`${prefix}-trigger-${trigger}`}
            type="checkbox"
            checked={triggers.includes(trigger)}
            onChange={(e) => setTriggers(e.currentTarget.checked ? [...triggers, trigger] : triggers.filter((t) => t !== trigger))}
          />
          <label htmlFor={`${prefix}-trigger-${trigger}`}>{trigger.toLowerCase().replace(/_/g, " ")}</label>
        </div>
      ))}
      <FieldMessage id={`${prefix}-triggers-error`} text={error} />
    </fieldset>
  );
}

function EditAction({ action, done }: { action: Action; done: (text: string) => void }) {
  const { session } = useShell();
  const [name, setName] = useState(action.name);
  const [url, setUrl] = useState(action.url);
  const [mode, setMode] = useState<AlertActionMode>(action.mode);
  const [triggers, setTriggers] = useState<AlertActionTrigger[]>(action.triggers);
  const [error, setError] = useState<FieldError | null>(null);
  const prefix = `edit-action-${action.id}`;
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await session.client
      .mutation(UpdateActionDocument, { id: action.id, name: name.trim(), url: url.trim(), mode, triggers: mode === "MANUAL" ? null : triggers })
      .toPromise();
    if (answer.error) return setError(fieldError(answer.error, ["url", "triggers"]));
    done(`${name.trim()} saved.`);
  };
  return (
    <form className="admin-form" aria-label={`Edit ${action.name}`} onSubmit={submit}>
      <label htmlFor={`${prefix}-name`}>Name of {action.name}</label>
      <input id={`${prefix}-name`} value={name} onChange={(e) => setName(e.currentTarget.value)} required aria-describedby={`${prefix}-name-error`} />
      <FieldMessage id={`${prefix}-name-error`} text={messageFor(error, "name")} />
      <label htmlFor={`${prefix}-url`}>URL of {action.name}</label>
      <input id={`${prefix}-url`} type="url" value={url} onChange={(e) => setUrl(e.currentTarget.value)} required aria-describedby={`${prefix}-url-error`} />
      <FieldMessage id={`${prefix}-url-error`} text={messageFor(error, "url")} />
      <label htmlFor={`${prefix}-mode`}>{action.name} runs</label>
      <select id={`${prefix}-mode`} value={mode} onChange={(e) => setMode(e.currentTarget.value as AlertActionMode)}>
        <option value="AUTOMATIC">Automatically, on the chosen changes</option>
        <option value="MANUAL">By hand, on an alert</option>
      </select>
      {mode === "AUTOMATIC" && <TriggerChoices prefix={prefix} triggers={triggers} setTriggers={setTriggers} error={messageFor(error, "triggers")} />}
      <div className="admin-row">
        <button type="submit">Save {action.name}</button>
        <button type="button" onClick={() => done("")}>
          Cancel
        </button>
      </div>
      <p role="status" aria-live="polite" className="problem">
        {unclaimed(error, ["name", "url", "mode", "triggers"])}
      </p>
    </form>
  );
}

const FIELDS = ["name", "kind", "url", "triggers", "mode", "sourceId", "teamId"];

function CreateAction({ data, made }: { data: Loaded; made: (id: string, secret: string) => void }) {
  const { session } = useShell();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<AlertActionKind>("WEBHOOK");
  const [url, setUrl] = useState("");
  const [mode, setMode] = useState<AlertActionMode>("AUTOMATIC");
  const [triggers, setTriggers] = useState<AlertActionTrigger[]>(["ALERT_CREATED", "ALERT_RESOLVED"]);
  const [scope, setScope] = useState(data.sources[0] ? `source:${data.sources[0].id}` : "");
  const [error, setError] = useState<FieldError | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const [what, id] = scope.split(":");
    const answer = await session.client
      .mutation(CreateActionDocument, {
        name: name.trim(),
        kind,
        url: url.trim(),
        triggers: mode === "MANUAL" ? null : triggers,
        mode,
        source: what === "source" ? (id ?? null) : null,
        team: what === "team" ? (id ?? null) : null,
      })
      .toPromise();
    if (answer.error) return setError(fieldError(answer.error, ["url", "triggers"]));
    setError(null);
    setName("");
    setUrl("");
    const action = answer.data?.createAlertAction;
    if (action) made(action.id, action.secret ?? "");
  };
  return (
    <form className="admin-form admin-card" aria-labelledby="new-action-title" onSubmit={submit}>
      <h3 id="new-action-title">New alert action</h3>
      <label htmlFor="action-name">Name</label>
      <input id="action-name" value={name} onChange={(e) => setName(e.currentTarget.value)} required aria-describedby="action-name-error" />
      <FieldMessage id="action-name-error" text={messageFor(error, "name")} />
      <label htmlFor="action-kind">Kind</label>
      <select id="action-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as AlertActionKind)}>
        <option value="WEBHOOK">Webhook</option>
        <option value="SLACK">Slack incoming webhook</option>
      </select>
      <label htmlFor="action-url">URL</label>
      <input id="action-url" type="url" value={url} onChange={(e) => setUrl(e.currentTarget.value)} required aria-describedby="action-url-error" />
      <FieldMessage id="action-url-error" text={messageFor(error, "url")} />
      <label htmlFor="action-scope">For</label>
      <select id="action-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value)} aria-describedby="action-scope-error">
        {data.sources.map((s) => (
          <option key={`source:${s.id}`} value={`source:${s.id}`}>
            Source {s.name}
          </option>
        ))}
        {data.teams.map((t) => (
          <option key={`team:${t.id}`} value={`team:${t.id}`}>
            Every source of team {t.name}
          </option>
        ))}
      </select>
      <FieldMessage id="action-scope-error" text={messageFor(error, "sourceId") || messageFor(error, "teamId")} />
      <label htmlFor="action-mode">Runs</label>
      <select id="action-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as AlertActionMode)}>
        <option value="AUTOMATIC">Automatically, on the chosen changes</option>
        <option value="MANUAL">By hand, on an alert</option>
      </select>
      {mode === "AUTOMATIC" && <TriggerChoices prefix="action" triggers={triggers} setTriggers={setTriggers} error={messageFor(error, "triggers")} />}
      <div className="admin-row">
        <button type="submit">Create action</button>
      </div>
      <p id="action-create-result" role="status" aria-live="polite" className="problem">
        {unclaimed(error, FIELDS)}
      </p>
    </form>
  );
}
