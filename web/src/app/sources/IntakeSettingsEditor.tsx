// How the email, PagerDuty- and Opsgenie-compatible intakes read a source's events: only the
// part its integration type uses (nothing for the other types). It saves intakeSettings through
// the policy mutation, replacing that part; a refusal is shown beside the input it names.
import { useState, type FormEvent } from "react";
import type { IntegrationType, Priority } from "../../gql/graphql";
import type { FieldError } from "../shell/fieldErrors";
import { FieldMessage } from "./FieldMessage";
import {
  OPSGENIE_PRIORITIES,
  PAGERDUTY_SEVERITIES,
  intakeErrorTarget,
  intakeFormFromJson,
  intakePartOf,
  intakeToJson,
  type EmailForm,
  type IntakeForm,
  type IntakeInput,
  type KeyFrom,
} from "./intakeSettings";
import type { SavePolicy } from "./SourcePolicy";

const TITLES = { email: "Email intake", pagerdutySeverities: "PagerDuty severities", opsgeniePriorities: "Opsgenie priorities" } as const;
const SAVE_LABELS = { email: "Save email intake", pagerdutySeverities: "Save PagerDuty severities", opsgeniePriorities: "Save Opsgenie priorities" } as const;

export function IntakeSettingsEditor({ type, stored, save }: { type: IntegrationType; stored: unknown; save: SavePolicy }) {
  const part = intakePartOf(type);
  const [form, setForm] = useState<IntakeForm>(() => intakeFormFromJson(stored));
  const [error, setError] = useState<FieldError | null>(null);
  const [result, setResult] = useState("");
  if (part === null) return null;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setResult("");
    const refused = await save({ intakeSettings: intakeToJson(form, part, stored) }, ["intakeSettings"]);
    setError(refused);
    if (!refused) setResult(`${TITLES[part]} saved.`);
  };
  const target = error ? intakeErrorTarget(error.field, error.message, form) : null;
  const at = (input: IntakeInput): string => (target?.input === input ? target.text : "");
  const setEmail = (change: Partial<EmailForm>) => setForm({ ...form, email: { ...form.email, ...change } });

  return (
    <form className="admin-form admin-card" aria-labelledby="intake-title" onSubmit={submit}>
      <h3 id="intake-title">{TITLES[part]}</h3>
      {part === "email" && (
        <>
          <p className="hint">
            Each mail opens an alert, or joins the open alert of its alert key. Patterns are regular expressions, matched without regard to case.
          </p>
          <label htmlFor="intake-key-pattern">Alert key pattern</label>
          <input
            id="intake-key-pattern"
            value={form.email.keyPattern}
            onChange={(e) => setEmail({ keyPattern: e.currentTarget.value })}
            aria-describedby="intake-key-pattern-hint intake-key-pattern-error"
            spellCheck={false}
            autoComplete="off"
          />
          <span id="intake-key-pattern-hint" className="hint">
            Its first group, or the whole match, is the alert key. Empty: the subject (without "Re:" and "Fwd:") is the key.
          </span>
          <FieldMessage id="intake-key-pattern-error" text={at("keyPattern")} />
          <label htmlFor="intake-key-from">Look for the alert key in</label>
          <select id="intake-key-from" value={form.email.keyFrom} onChange={(e) => setEmail({ keyFrom: e.currentTarget.value as KeyFrom })} aria-describedby="intake-key-from-error">
            <option value="SUBJECT">the subject</option>
            <option value="BODY">the text body</option>
          </select>
          <FieldMessage id="intake-key-from-error" text={at("keyFrom")} />
          <label htmlFor="intake-resolve">Resolve patterns (one per line)</label>
          <textarea
            id="intake-resolve"
            value={form.email.resolvePatterns}
            onChange={(e) => setEmail({ resolvePatterns: e.currentTarget.value })}
            rows={3}
            aria-describedby="intake-resolve-hint intake-resolve-error"
            spellCheck={false}
          />
          <span id="intake-resolve-hint" className="hint">
            A mail whose subject or body matches one of these resolves the alert of its key.
          </span>
          <FieldMessage id="intake-resolve-error" text={at("resolvePatterns")} />
          <label htmlFor="intake-senders">Allowed senders (one per line)</label>
          <textarea
            id="intake-senders"
            value={form.email.allowedSenders}
            onChange={(e) => setEmail({ allowedSenders: e.currentTarget.value })}
            rows={3}
            aria-describedby="intake-senders-hint intake-senders-error"
            spellCheck={false}
          />
          <span id="intake-senders-hint" className="hint">
            Addresses (ops@example.com) or domains (@example.com); mail from anyone else is refused. Empty: anyone.
          </span>
          <FieldMessage id="intake-senders-error" text={at("allowedSenders")} />
        </>
      )}
      {part === "pagerdutySeverities" && (
        <fieldset>
          <legend>The alert priority of each PagerDuty severity</legend>
          {PAGERDUTY_SEVERITIES.map((severity) => (
            <PrioritySelect
              key={severity}
              id={`intake-pagerduty-${severity}`}
              label={severity}
              value={form.pagerduty[severity]}
              onChange={(value) => setForm({ ...form, pagerduty: { ...form.pagerduty, [severity]: value } })}
              error={at(`pagerduty.${severity}`)}
            />
          ))}
        </fieldset>
      )}
      {part === "opsgeniePriorities" && (
        <fieldset>
          <legend>The alert priority of each Opsgenie priority</legend>
          {OPSGENIE_PRIORITIES.map((priority) => (
            <PrioritySelect
              key={priority}
              id={`intake-opsgenie-${priority}`}
              label={priority}
              value={form.opsgenie[priority]}
              onChange={(value) => setForm({ ...form, opsgenie: { ...form.opsgenie, [priority]: value } })}
              error={at(`opsgenie.${priority}`)}
            />
          ))}
        </fieldset>
      )}
      <div className="admin-row">
        <button type="submit">{SAVE_LABELS[part]}</button>
      </div>
      <p id="intake-result" role="status" aria-live="polite">
        {(error && !target ? error.message : "") || result}
      </p>
    </form>
  );
}

function PrioritySelect({ id, label, value, onChange, error }: { id: string; label: string; value: Priority; onChange: (value: Priority) => void; error: string }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as Priority)} aria-describedby={`${id}-error`}>
        <option value="HIGH">HIGH</option>
        <option value="LOW">LOW</option>
      </select>
      <FieldMessage id={`${id}-error`} text={error} />
    </>
  );
}
