// One layer's form: how long each turn lasts, when it starts (and hands off), when it ends,
// the weekly windows it covers, and who takes turns in which order. For a new layer it adds
// one on top; for an existing one it edits from the handoff instant on (past shifts stay).
import { useState, type FormEvent } from "react";
import {
  ConsoleAddLayerDocument, ConsoleUpdateLayerDocument, type ConsoleScheduleQuery, type RestrictionInput, type Weekday,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { startOfDay } from "../oncall/zoned";
import { EMPTY_WHEN, Field, WhenInputs, describedBy, isoOf, whenOf, type When } from "./fields";
import { fieldError, messageFor, unclaimed, type FieldError } from "../shell/fieldErrors";
import { formatRotation, parseRotation, type RotationUnit } from "./rotation";
import { instantLabel } from "./timeline";
import { UserOrder, type Person } from "./UserOrder";

type LayerRow = NonNullable<ConsoleScheduleQuery["schedule"]>["layers"][number];

const DAYS: { value: Weekday; label: string }[] = [
  { value: "MONDAY", label: "Monday" },
  { value: "TUESDAY", label: "Tuesday" },
  { value: "WEDNESDAY", label: "Wednesday" },
  { value: "THURSDAY", label: "Thursday" },
  { value: "FRIDAY", label: "Friday" },
  { value: "SATURDAY", label: "Saturday" },
  { value: "SUNDAY", label: "Sunday" },
];

const FIELDS = {
  rotation: ["rotation", "layer.rotation"],
  startsOn: ["startsOn", "layer.startsOn"],
  endsOn: ["endsOn", "layer.endsOn"],
  handoffFrom: ["handoffFrom"],
  restrictions: ["restrictions", "layer.restrictions"],
  userIds: ["userIds", "layer.userIds", "user id"],
};

export function LayerForm({
  formId, number, scheduleId, timeZone, people, layer, onSaved,
}: { formId: string; number: number; scheduleId: string; timeZone: string; people: readonly Person[]; layer: LayerRow | null; onSaved: (text: string) => void }) {
  const { session } = useShell();
  const length = layer ? parseRotation(layer.rotation) : { count: 1, unit: "weeks" as RotationUnit };
  const [custom] = useState(layer && !length ? layer.rotation : null);
  const [count, setCount] = useState(String(length?.count ?? 1));
  const [unit, setUnit] = useState<RotationUnit>(length?.unit ?? "weeks");
  const started = layer ? Date.parse(layer.startsOn) <= Date.now() : false;
  const [start, setStart] = useState<When>(() =>
    layer ? (started ? EMPTY_WHEN : whenOf(layer.startsOn, timeZone)) : { ...whenOf(startOfDay(Date.now(), timeZone), timeZone), time: "09:00" },
  );
  const [end, setEnd] = useState<When>(() => (layer?.endsOn ? whenOf(layer.endsOn, timeZone) : EMPTY_WHEN));
  const [windows, setWindows] = useState<RestrictionInput[]>(() =>
    (layer?.restrictions ?? []).map(({ startDay, startTime, endDay, endTime }) => ({ startDay, startTime, endDay, endTime })),
  );
  const [order, setOrder] = useState<string[]>(() => [...(layer?.userIds ?? [])]);
  const [error, setError] = useState<FieldError | null>(null);
  const [busy, setBusy] = useState(false);

  const rotation = () => (custom && count === String(length?.count ?? 1) ? custom : formatRotation({ count: Number(count), unit }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const startIso = isoOf(start, timeZone);
    const result = layer
      ? await session.client
          .mutation(ConsoleUpdateLayerDocument, {
            id: layer.id, rotation: rotation(), userIds: order, handoffFrom: startIso, restrictions: windows, endsOn: isoOf(end, timeZone),
          })
          .toPromise()
      : await session.client
          .mutation(ConsoleAddLayerDocument, {
            scheduleId,
            layer: { rotation: rotation(), userIds: order, startsOn: startIso ?? "", endsOn: isoOf(end, timeZone), restrictions: windows },
          })
          .toPromise();
    setBusy(false);
    if (result.error) return setError(fieldError(result.error));
    setError(null);
    onSaved(layer ? "Layer saved." : "Layer added.");
    if (!layer) {
      setOrder([]);
      setWindows([]);
    }
  };
  const setWindow = (index: number, change: Partial<RestrictionInput>) =>
    setWindows(windows.map((window, i) => (i === index ? { ...window, ...change } : window)));

  const rotationError = messageFor(error, ...FIELDS.rotation);
  const startError = messageFor(error, ...(layer ? FIELDS.handoffFrom : FIELDS.startsOn));
  const endError = messageFor(error, ...FIELDS.endsOn);
  const windowError = messageFor(error, ...FIELDS.restrictions);
  const usersError = messageFor(error, ...FIELDS.userIds);
  const otherError = unclaimed(error, Object.values(FIELDS).flat());

  return (
    <form className="sched-form" onSubmit={submit} aria-label={layer ? `Edit layer ${number}` : "New layer"}>
      {layer && (
        <p className="hint">
          {started ? "Started" : "Starts"} {instantLabel(Date.parse(layer.startsOn), timeZone)}
          {layer.endsOn ? `, ends ${instantLabel(Date.parse(layer.endsOn), timeZone)}` : ", no end"}.
        </p>
      )}
      <fieldset className="sched-rotation" aria-describedby={describedBy(`${formId}-rotation`, rotationError)}>
        <legend>Each turn lasts</legend>
        <Field id={`${formId}-count`} label="Turn length" error={null}>
          <input id={`${formId}-count`} type="number" min={1} max={365} required value={count} onChange={(e) => setCount(e.currentTarget.value)} />
        </Field>
        <Field id={`${formId}-unit`} label="Unit" error={null}>
          <select id={`${formId}-unit`} value={unit} onChange={(e) => setUnit(e.currentTarget.value as RotationUnit)}>
            <option value="hours">hours</option>
            <option value="days">days</option>
            <option value="weeks">weeks</option>
          </select>
        </Field>
        {custom && <p className="hint">Now {custom}; change the length to replace it.</p>}
        {rotationError && (
          <p id={`${formId}-rotation-error`} className="sched-error" role="alert">
            {rotationError}
          </p>
        )}
      </fieldset>
      <WhenInputs
        id={`${formId}-start`}
        label={layer ? (started ? "Hand off from (empty: now)" : "Start and first handoff") : "Start and first handoff"}
        value={start}
        onChange={setStart}
        required={!layer}
        error={startError}
      />
      <WhenInputs id={`${formId}-end`} label="End (empty: no end)" value={end} onChange={setEnd} required={false} error={endError} />
      <fieldset className="sched-windows" aria-describedby={describedBy(`${formId}-windows`, windowError)}>
        <legend>Weekly windows</legend>
        {windows.length === 0 && <p className="hint">None: the layer covers the whole week.</p>}
        <ol className="plain-list">
          {windows.map((window, index) => (
            <li key={index} className="sched-window">
              <span className="sched-sr">Window {index + 1}:</span>
              <label htmlFor={`${formId}-w${index}-sd`}>From</label>
              <select id={`${formId}-w${index}-sd`} value={window.startDay} onChange={(e) => setWindow(index, { startDay: e.currentTarget.value as Weekday })}>
                {DAYS.map((day) => (
                  <option key={day.value} value={day.value}>
                    {day.label}
                  </option>
                ))}
              </select>
              <label htmlFor={`${formId}-w${index}-st`} className="sched-sr">
                Window {index + 1} start time
              </label>
              <input id={`${formId}-w${index}-st`} type="time" required value={window.startTime} onChange={(e) => setWindow(index, { startTime: e.currentTarget.value })} />
              <label htmlFor={`${formId}-w${index}-ed`}>to</label>
              <select id={`${formId}-w${index}-ed`} value={window.endDay} onChange={(e) => setWindow(index, { endDay: e.currentTarget.value as Weekday })}>
                {DAYS.map((day) => (
                  <option key={day.value} value={day.value}>
                    {day.label}
                  </option>
                ))}
              </select>
              <label htmlFor={`${formId}-w${index}-et`} className="sched-sr">
                Window {index + 1} end time
              </label>
              <input id={`${formId}-w${index}-et`} type="time" required value={window.endTime} onChange={(e) => setWindow(index, { endTime: e.currentTarget.value })} />
              <button type="button" onClick={() => setWindows(windows.filter((_, i) => i !== index))}>
                Remove<span className="sched-sr"> window {index + 1}</span>
              </button>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => setWindows([...windows, { startDay: "MONDAY", startTime: "09:00", endDay: "FRIDAY", endTime: "17:00" }])}>
          Add a weekly window
        </button>
        {windowError && (
          <p id={`${formId}-windows-error`} className="sched-error" role="alert">
            {windowError}
          </p>
        )}
      </fieldset>
      <UserOrder id={`${formId}-people`} people={people} order={order} onChange={setOrder} error={usersError} />
      <p className="sched-buttons">
        <button type="submit" disabled={busy}>
          {layer ? `Save layer ${number}` : "Add layer"}
        </button>
      </p>
      {otherError && (
        <p className="sched-error" role="alert">
          {otherError}
        </p>
      )}
    </form>
  );
}
