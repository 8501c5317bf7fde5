// Overrides (someone takes over a stretch, winning over every layer) and a static schedule's
// fixed shifts: each a person and a start and end on the schedule's clock; listed for the weeks
// the timeline shows, each deletable.
import { useState, type FormEvent } from "react";
import {
  ConsoleAddStaticShiftDocument, ConsoleCreateOverrideDocument, ConsoleDeleteOverrideDocument, ConsoleDeleteStaticShiftDocument,
  type ConsoleTimelineQuery,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { EMPTY_WHEN, Field, WhenInputs, describedBy, isoOf, type When } from "./fields";
import { formError, messageFor, unplacedMessage, type FormError } from "./fieldError";
import { spanLabel } from "./timeline";
import type { Person } from "./UserOrder";

type TimelineData = NonNullable<ConsoleTimelineQuery["schedule"]>;

interface Stretch {
  id: string;
  start: string;
  end: string;
  name: string;
}

/** A person, a start and an end: the form both editors use. */
function StretchForm({
  formId, submitLabel, users, timeZone, send,
}: {
  formId: string;
  submitLabel: string;
  users: readonly Person[];
  timeZone: string;
  send: (userId: string, start: string, end: string) => Promise<FormError | null>;
}) {
  const [userId, setUserId] = useState("");
  const [start, setStart] = useState<When>(EMPTY_WHEN);
  const [end, setEnd] = useState<When>(EMPTY_WHEN);
  const [error, setError] = useState<FormError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = await send(userId, isoOf(start, timeZone) ?? "", isoOf(end, timeZone) ?? "");
    setError(problem);
    if (!problem) {
      setStart(EMPTY_WHEN);
      setEnd(EMPTY_WHEN);
    }
  };
  const userError = messageFor(error, "userId", "user id", "shift.userId");
  const startError = messageFor(error, "start", "shift.start");
  const endError = messageFor(error, "end", "shift.end");
  const other = unplacedMessage(error, ["userId", "user id", "shift.userId", "start", "shift.start", "end", "shift.end"]);
  return (
    <form className="sched-form" onSubmit={submit} aria-label={submitLabel}>
      <Field id={`${formId}-user`} label="Person" error={userError}>
        <select id={`${formId}-user`} required value={userId} onChange={(e) => setUserId(e.currentTarget.value)} aria-describedby={describedBy(`${formId}-user`, userError)}>
          <option value="">Choose…</option>
          {users.map((user) => (
            <option key={user.id} value={user.id}>
              {user.name}
            </option>
          ))}
        </select>
      </Field>
      <WhenInputs id={`${formId}-start`} label="Start" value={start} onChange={setStart} error={startError} />
      <WhenInputs id={`${formId}-end`} label="End" value={end} onChange={setEnd} error={endError} />
      <p className="sched-buttons">
        <button type="submit">{submitLabel}</button>
      </p>
      {other && (
        <p className="sched-error" role="alert">
          {other}
        </p>
      )}
    </form>
  );
}

function StretchList({ id, items, timeZone, what, remove }: { id: string; items: Stretch[]; timeZone: string; what: string; remove: (item: Stretch) => void }) {
  if (items.length === 0) return <p className="empty">None in the weeks shown.</p>;
  return (
    <ul id={id} className="plain-list sched-stretches">
      {items.map((item) => (
        <li key={item.id} data-id={item.id}>
          <span className="tl-when">{spanLabel(item, timeZone)}</span> <strong>{item.name}</strong>{" "}
          <button type="button" onClick={() => remove(item)}>
            Delete<span className="sched-sr"> {what} {item.name} {spanLabel(item, timeZone)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

export function OverridesEditor({
  scheduleId, timeZone, users, overrides, onSaved,
}: { scheduleId: string; timeZone: string; users: readonly Person[]; overrides: TimelineData["overrides"]; onSaved: (text: string) => void }) {
  const { session } = useShell();
  const [problem, setProblem] = useState("");
  const send = async (userId: string, start: string, end: string) => {
    const result = await session.client.mutation(ConsoleCreateOverrideDocument, { scheduleId, userId, start, end }).toPromise();
    if (result.error) return formError(result.error);
    onSaved("Override added.");
    return null;
  };
  const remove = async (item: Stretch) => {
    const result = await session.client.mutation(ConsoleDeleteOverrideDocument, { id: item.id }).toPromise();
    if (result.error) return setProblem(errorText(result.error));
    setProblem("");
    onSaved("Override deleted.");
  };
  const items = [...overrides]
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
    .map((o) => ({ id: o.id, start: o.start, end: o.end, name: o.user.name }));
  return (
    <section aria-labelledby="overrides-title" className="card sched-overrides">
      <h3 id="overrides-title">Overrides</h3>
      <p className="hint">Someone takes over a stretch: an override wins over every layer.</p>
      <StretchList id="override-list" items={items} timeZone={timeZone} what="override" remove={remove} />
      {problem && (
        <p className="sched-error" role="alert">
          {problem}
        </p>
      )}
      <details>
        <summary>Add an override</summary>
        <StretchForm formId="new-override" submitLabel="Add override" users={users} timeZone={timeZone} send={send} />
      </details>
    </section>
  );
}

export function StaticShiftsEditor({
  scheduleId, timeZone, users, shifts, onSaved,
}: { scheduleId: string; timeZone: string; users: readonly Person[]; shifts: TimelineData["shifts"]; onSaved: (text: string) => void }) {
  const { session } = useShell();
  const [problem, setProblem] = useState("");
  const send = async (userId: string, start: string, end: string) => {
    const result = await session.client.mutation(ConsoleAddStaticShiftDocument, { scheduleId, shift: { userId, start, end } }).toPromise();
    if (result.error) return formError(result.error);
    onSaved("Shift added.");
    return null;
  };
  const remove = async (item: Stretch) => {
    const result = await session.client.mutation(ConsoleDeleteStaticShiftDocument, { id: item.id }).toPromise();
    if (result.error) return setProblem(errorText(result.error));
    setProblem("");
    onSaved("Shift deleted.");
  };
  // A fixed shift is one piece of the final schedule unless an override cuts it: its pieces
  // are gathered back by the shift they come from.
  const byId = new Map<string, Stretch>();
  for (const shift of shifts) {
    if (shift.source !== "static" || !shift.sourceId) continue;
    const known = byId.get(shift.sourceId);
    if (known) {
      if (shift.start < known.start) known.start = shift.start;
      if (shift.end > known.end) known.end = shift.end;
    } else byId.set(shift.sourceId, { id: shift.sourceId, start: shift.start, end: shift.end, name: shift.user?.name ?? "Nobody" });
  }
  const items = [...byId.values()].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return (
    <section aria-labelledby="static-title" className="card sched-static">
      <h3 id="static-title">Shifts</h3>
      <p className="hint">A static schedule is its fixed shifts; overrides still win over them.</p>
      <StretchList id="static-shift-list" items={items} timeZone={timeZone} what="shift" remove={remove} />
      {problem && (
        <p className="sched-error" role="alert">
          {problem}
        </p>
      )}
      <StretchForm formId="new-shift" submitLabel="Add shift" users={users} timeZone={timeZone} send={send} />
    </section>
  );
}
