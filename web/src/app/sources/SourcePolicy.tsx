// A source's policy (alertSourcePolicy): grouping, priority rule, support hours, auto-resolve and
// auto-raise in one form; the email, PagerDuty or Opsgenie intake settings (for sources of those
// types), the templates and the event filter in their own (each saves only its own part, so a
// refused filter does not hold back the grouping); then the dropped events.
import { useCallback, useState, type FormEvent } from "react";
import {
  SourcePolicyDocument,
  UpdateSourcePolicyDocument,
  type AlertCreation,
  type AlertSourcePolicyInput,
  type PriorityRule,
  type SourceItemFragment,
  type SourcePolicyItemFragment,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";
import { DroppedEvents } from "./DroppedEvents";
import { FieldMessage } from "./FieldMessage";
import { FilterEditor } from "./FilterEditor";
import { IntakeSettingsEditor } from "./IntakeSettingsEditor";
import { fieldError, messageFor, unclaimed, type FieldError } from "../shell/fieldErrors";
import type { SourceChoices } from "./SourcesSection";
import { TemplateEditor } from "./TemplateEditor";
import { useConfigReload } from "./useConfigReload";

/** Saves only the parts given: a part left out is kept (null would turn it off). */
export type SavePolicy = (input: Partial<AlertSourcePolicyInput>, known: readonly string[]) => Promise<FieldError | null>;

const CREATION_LABELS: Record<AlertCreation, string> = {
  ONE_ALERT_PER_KEY: "One alert per alert key",
  ONE_OPEN_ALERT: "Every event joins the open alert",
  ONE_PENDING_ALERT: "Events join the pending alert",
  ONE_ALERT_GROUPED_PER_WINDOW: "Group events within a time window",
};

const RULE_LABELS: Record<PriorityRule, string> = {
  HIGH: "The event's priority (default HIGH)",
  LOW: "Always LOW",
  HIGH_DURING_SUPPORT_HOURS: "HIGH during support hours, LOW outside",
  LOW_DURING_SUPPORT_HOURS: "LOW during support hours, HIGH outside",
};

export function SourcePolicy({ source, choices }: { source: SourceItemFragment; choices: SourceChoices }) {
  const { session, failed } = useShell();
  const [policy, setPolicy] = useState<SourcePolicyItemFragment | null>(null);
  const reload = useCallback(() => {
    void session.client
      .query(SourcePolicyDocument, { id: source.id }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load the source's policy", result.error);
        else if (result.data) setPolicy(result.data.alertSourcePolicy);
      });
  }, [session, failed, source.id]);
  useRefetchOnConnect(reload);
  useConfigReload(["SOURCE", "MAINTENANCE"], reload);

  const save: SavePolicy = async (input, known) => {
    const answer = await session.client.mutation(UpdateSourcePolicyDocument, { id: source.id, input: input as AlertSourcePolicyInput }).toPromise();
    if (answer.error) return fieldError(answer.error, known);
    if (answer.data) setPolicy(answer.data.updateAlertSourcePolicy);
    return null;
  };

  if (!policy) return <section aria-busy="true" aria-label="Policy" />;
  return (
    <>
      <PolicySettings policy={policy} choices={choices} save={save} />
      <IntakeSettingsEditor type={source.integrationType} stored={policy.intakeSettings} save={save} />
      <TemplateEditor source={source} stored={policy.templates} save={save} />
      <FilterEditor stored={policy.eventFilter} save={save} />
      <DroppedEvents source={source} count={policy.droppedEventCount} inMaintenance={policy.inMaintenance} />
    </>
  );
}

const SETTINGS = ["alertCreation", "alertGroupingWindowSec", "priorityRule", "supportHoursId", "autoResolutionTimeoutSec", "autoRaiseAlerts"] as const;

function PolicySettings({ policy, choices, save }: { policy: SourcePolicyItemFragment; choices: SourceChoices; save: SavePolicy }) {
  const [creation, setCreation] = useState<AlertCreation>(policy.alertCreation);
  const [windowSec, setWindowSec] = useState(String(policy.alertGroupingWindowSec));
  const [rule, setRule] = useState<PriorityRule>(policy.priorityRule);
  const [hours, setHours] = useState(policy.supportHoursId ?? "");
  const [resolveSec, setResolveSec] = useState(policy.autoResolutionTimeoutSec === null ? "" : String(policy.autoResolutionTimeoutSec));
  const [raise, setRaise] = useState(policy.autoRaiseAlerts);
  const [error, setError] = useState<FieldError | null>(null);
  const [result, setResult] = useState("");
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setResult("");
    const input: Partial<AlertSourcePolicyInput> = {
      alertCreation: creation,
      alertGroupingWindowSec: Number(windowSec),
      priorityRule: rule,
      supportHoursId: hours || null,
      autoResolutionTimeoutSec: resolveSec.trim() === "" ? null : Number(resolveSec),
      autoRaiseAlerts: raise,
    };
    const refused = await save(input, SETTINGS);
    setError(refused);
    if (!refused) setResult("Policy saved.");
  };
  return (
    <form className="admin-form admin-card" aria-labelledby="policy-title" onSubmit={submit}>
      <h3 id="policy-title">Grouping and priority</h3>
      {policy.inMaintenance && <p className="problem">A maintenance window is on: this source's events open no alerts now.</p>}
      <label htmlFor="policy-creation">Alert grouping</label>
      <select id="policy-creation" value={creation} onChange={(e) => setCreation(e.currentTarget.value as AlertCreation)} aria-describedby="policy-creation-error">
        {(Object.keys(CREATION_LABELS) as AlertCreation[]).map((c) => (
          <option key={c} value={c}>
            {CREATION_LABELS[c]}
          </option>
        ))}
      </select>
      <FieldMessage id="policy-creation-error" text={messageFor(error, "alertCreation")} />
      <label htmlFor="policy-window">Grouping window (seconds, 120 to 86400)</label>
      <input id="policy-window" type="number" inputMode="numeric" value={windowSec} onChange={(e) => setWindowSec(e.currentTarget.value)} aria-describedby="policy-window-error" />
      <FieldMessage id="policy-window-error" text={messageFor(error, "alertGroupingWindowSec")} />
      <label htmlFor="policy-rule">Priority rule</label>
      <select id="policy-rule" value={rule} onChange={(e) => setRule(e.currentTarget.value as PriorityRule)} aria-describedby="policy-rule-error">
        {(Object.keys(RULE_LABELS) as PriorityRule[]).map((r) => (
          <option key={r} value={r}>
            {RULE_LABELS[r]}
          </option>
        ))}
      </select>
      <FieldMessage id="policy-rule-error" text={messageFor(error, "priorityRule")} />
      <label htmlFor="policy-hours">Support hours</label>
      <select id="policy-hours" value={hours} onChange={(e) => setHours(e.currentTarget.value)} aria-describedby="policy-hours-error">
        <option value="">None</option>
        {choices.supportHours.map((h) => (
          <option key={h.id} value={h.id}>
            {h.name}
          </option>
        ))}
      </select>
      <FieldMessage id="policy-hours-error" text={messageFor(error, "supportHoursId")} />
      <label htmlFor="policy-resolve">Auto-resolve after (seconds without an event; empty: never)</label>
      <input id="policy-resolve" type="number" inputMode="numeric" value={resolveSec} onChange={(e) => setResolveSec(e.currentTarget.value)} aria-describedby="policy-resolve-error" />
      <FieldMessage id="policy-resolve-error" text={messageFor(error, "autoResolutionTimeoutSec")} />
      <div className="admin-row">
        <input id="policy-raise" type="checkbox" checked={raise} onChange={(e) => setRaise(e.currentTarget.checked)} />
        <label htmlFor="policy-raise">Raise pending LOW alerts to HIGH when the rule turns HIGH</label>
      </div>
      <div className="admin-row">
        <button type="submit">Save grouping and priority</button>
      </div>
      <p id="policy-result" role="status" aria-live="polite">
        {unclaimed(error, [...SETTINGS]) || result}
      </p>
    </form>
  );
}
