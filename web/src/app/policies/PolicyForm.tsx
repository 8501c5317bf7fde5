// The policy editor: name, team, routing key, levels (who is paged, minutes before the next
// level; added, removed, reordered), repeating. Saving sends the whole policy; the server's
// refusal is shown beside the field it names. Deleting asks first and shows the server's
// CONFLICT when alert sources still use the policy.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { AdminCreatePolicyDocument, AdminDeletePolicyDocument, AdminUpdatePolicyDocument, type AdminPoliciesQuery } from "../../gql/graphql";
import { placeError, type PlacedError } from "../people/fieldErrors";
import { FieldMessage, FormResult, fieldProps } from "../people/FieldMessage";
import { useShell } from "../shell/context";
import { navigate } from "../shell/router";
import { moveLevel, newLevel, policyVariables, toggled, type LevelDraft, type PolicyDraft } from "./policyForm";
import { ConfirmDelete } from "../admin/ConfirmDelete";

type Policy = AdminPoliciesQuery["escalationPolicies"][number];

interface Props {
  /** null: a new policy. */
  policy: Policy | null;
  initial: PolicyDraft;
  data: AdminPoliciesQuery;
  reload: () => Promise<void>;
}

export function PolicyForm({ policy, initial, data, reload }: Props) {
  const { session } = useShell();
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<PlacedError | null>(null);
  const [result, setResult] = useState("");
  // The level just moved by its buttons, and which way: focus follows it (the button pressed may
  // now be disabled, at the top or bottom) and the move is announced.
  const [moved, setMoved] = useState<{ key: number; by: number; text: string } | null>(null);
  const fields = ["name", "teamId", "routingKey", "frequency", "rules", ...draft.levels.flatMap((_, index) => [`rules.${index}`, `rules.${index}.escalationTimeout`])];

  const change = (patch: Partial<PolicyDraft>) => setDraft((current) => ({ ...current, ...patch }));
  const changeLevel = (index: number, patch: Partial<LevelDraft>) =>
    setDraft((current) => ({ ...current, levels: current.levels.map((level, at) => (at === index ? { ...level, ...patch } : level)) }));

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const variables = policyVariables(draft);
    const answer = policy
      ? await session.client.mutation(AdminUpdatePolicyDocument, { id: policy.id, ...variables }).toPromise()
      : await session.client.mutation(AdminCreatePolicyDocument, variables).toPromise();
    if (answer.error) return setError(placeError(answer.error, fields));
    setError(null);
    await reload();
    if (policy) setResult(`Policy ${variables.name} saved.`);
    else if (answer.data && "createEscalationPolicy" in answer.data) navigate(`/admin/policies/${answer.data.createEscalationPolicy.id}`);
  };
  const remove = async () => {
    if (!policy) return;
    const answer = await session.client.mutation(AdminDeletePolicyDocument, { id: policy.id }).toPromise();
    if (answer.error) return setError(placeError(answer.error, []));
    await reload();
    navigate("/admin/policies");
  };

  const title = policy ? policy.name : "New escalation policy";
  return (
    <>
      <h3 id="policy-title">{title}</h3>
      <form className="people-form" onSubmit={save} aria-labelledby="policy-title" noValidate={false}>
        <label htmlFor="policy-name">Name</label>
        <input required value={draft.name} onChange={(event) => change({ name: event.currentTarget.value })} {...fieldProps("policy-name", "name", error)} />
        <FieldMessage id="policy-name" name="name" error={error} />

        <label htmlFor="policy-team">Team</label>
        <select value={draft.teamId} onChange={(event) => change({ teamId: event.currentTarget.value })} {...fieldProps("policy-team", "teamId", error)}>
          <option value="">None (organisation-wide)</option>
          {data.teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
        <FieldMessage id="policy-team" name="teamId" error={error} />

        <label htmlFor="policy-routing-key">Routing key (optional)</label>
        <input value={draft.routingKey} onChange={(event) => change({ routingKey: event.currentTarget.value })} {...fieldProps("policy-routing-key", "routingKey", error)} />
        <FieldMessage id="policy-routing-key" name="routingKey" error={error} />

        <h4 id="levels-title">Levels</h4>
        <p className="hint">Level 1 is paged first; each next level when nobody has accepted within the level's minutes.</p>
        <FieldMessage id="policy-levels" name="rules" error={error} />
        {draft.levels.map((level, index) => (
          <LevelFields
            key={level.key}
            index={index}
            count={draft.levels.length}
            level={level}
            data={data}
            error={error}
            onChange={(patch) => changeLevel(index, patch)}
            focusMove={moved?.key === level.key ? moved.by : null}
            onMove={(by) => {
              change({ levels: moveLevel(draft.levels, index, by) });
              setMoved({ key: level.key, by, text: `Level ${index + 1} moved to level ${index + 1 + by}.` });
            }}
            onRemove={() => change({ levels: draft.levels.filter((_, at) => at !== index) })}
          />
        ))}
        <p className="people-visually-hidden" role="status" aria-live="polite">
          {moved?.text ?? ""}
        </p>
        <button type="button" onClick={() => change({ levels: [...draft.levels, newLevel()] })}>
          Add level
        </button>

        <label className="check">
          <input type="checkbox" checked={draft.repeating} onChange={(event) => change({ repeating: event.currentTarget.checked })} />
          Start again from level 1 when the last level times out
        </label>
        {draft.repeating && (
          <>
            <label htmlFor="policy-frequency">Times through the levels (1 to 9)</label>
            <input type="number" min={1} max={9} required value={draft.frequency} onChange={(event) => change({ frequency: event.currentTarget.value })} {...fieldProps("policy-frequency", "frequency", error)} />
            <FieldMessage id="policy-frequency" name="frequency" error={error} />
          </>
        )}
        <button type="submit">{policy ? "Save policy" : "Create policy"}</button>
      </form>
      <FormResult id="policy-result" error={error} text={result} />
      {policy && <ConfirmDelete start="Delete policy" question={`Delete ${policy.name}?`} confirm="Yes, delete" onDelete={remove} className="people-actions" />}
    </>
  );
}

interface LevelProps {
  index: number;
  count: number;
  level: LevelDraft;
  data: AdminPoliciesQuery;
  error: PlacedError | null;
  onChange: (patch: Partial<LevelDraft>) => void;
  /** This level was just moved that way (-1 up, 1 down): its move button takes the focus. */
  focusMove: number | null;
  onMove: (by: number) => void;
  onRemove: () => void;
}

function LevelFields({ index, count, level, data, error, focusMove, onChange, onMove, onRemove }: LevelProps) {
  const number = index + 1;
  const up = useRef<HTMLButtonElement>(null);
  const down = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (focusMove === null) return;
    const same = focusMove < 0 ? up.current : down.current;
    const other = focusMove < 0 ? down.current : up.current;
    (same && !same.disabled ? same : other)?.focus();
  }, [focusMove, index]);
  const id = `level-${number}`;
  const name = `rules.${index}`;
  return (
    <fieldset className="people-level" data-level={number} {...(error?.field === name ? { "aria-describedby": `${id}-error` } : {})}>
      <legend>Level {number}</legend>
      <FieldMessage id={id} name={name} error={error} />
      <fieldset>
        <legend>Users</legend>
        <div className="people-choices">
          {data.users.map((user) => (
            <label key={user.id}>
              <input type="checkbox" checked={level.userIds.includes(user.id)} onChange={(event) => onChange({ userIds: toggled(level.userIds, user.id, event.currentTarget.checked) })} />
              {user.active ? user.name : `${user.name} (deactivated: never paged)`}
            </label>
          ))}
        </div>
      </fieldset>
      {data.schedules.length > 0 && (
        <fieldset>
          <legend>Schedules (whoever is on call)</legend>
          <div className="people-choices">
            {data.schedules.map((schedule) => (
              <label key={schedule.id}>
                <input type="checkbox" checked={level.scheduleIds.includes(schedule.id)} onChange={(event) => onChange({ scheduleIds: toggled(level.scheduleIds, schedule.id, event.currentTarget.checked) })} />
                {schedule.name}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <label htmlFor={`${id}-timeout`}>Level {number}: minutes before the next level</label>
      <input type="number" min={1} max={1440} required value={level.timeout} onChange={(event) => onChange({ timeout: event.currentTarget.value })} {...fieldProps(`${id}-timeout`, `${name}.escalationTimeout`, error)} />
      <FieldMessage id={`${id}-timeout`} name={`${name}.escalationTimeout`} error={error} />
      <div className="people-actions">
        <button type="button" ref={up} disabled={index === 0} onClick={() => onMove(-1)}>
          Move level {number} up
        </button>
        <button type="button" ref={down} disabled={index === count - 1} onClick={() => onMove(1)}>
          Move level {number} down
        </button>
        <button type="button" disabled={count === 1} onClick={onRemove}>
          Remove level {number}
        </button>
      </div>
    </fieldset>
  );
}
