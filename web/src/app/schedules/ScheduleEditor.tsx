// One schedule in the console: its name and time zone, its layers (recurring) or fixed shifts
// (static), its overrides, deleting it, and its timeline. Everything reloads after each change
// and when someone else changes who is on call on it.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import {
  ConsoleDeleteLayerDocument, ConsoleDeleteScheduleDocument, ConsoleMoveLayerDocument, ConsoleScheduleDocument,
  ConsoleTimelineDocument, ConsoleUpdateScheduleDocument, type ConsoleScheduleQuery, type ConsoleTimelineQuery,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { usePageTitle } from "../shell/usePageTitle";
import { useOnCallChanges } from "../oncall/useOnCallChanges";
import { knownZone } from "../oncall/zoned";
import { Field, ZoneList, describedBy } from "./fields";
import { formError, messageFor, unplacedMessage, type FormError } from "./fieldError";
import { LayerForm } from "./LayerForm";
import { OverridesEditor, StaticShiftsEditor } from "./ShiftsEditors";
import { Timeline } from "./Timeline";
import { timelineWindow, type Window } from "./timeline";
import { describeRotation } from "./rotation";

type Loaded = NonNullable<ConsoleScheduleQuery["schedule"]>;
type Layer = Loaded["layers"][number];
type TimelineData = NonNullable<ConsoleTimelineQuery["schedule"]>;

export function ScheduleEditor({ id, params }: { id: string; params: URLSearchParams }) {
  const { session, failed } = useShell();
  const [schedule, setSchedule] = useState<Loaded | null | undefined>(undefined);
  const [users, setUsers] = useState<ConsoleScheduleQuery["users"]>([]);
  const [timeline, setTimeline] = useState<{ data: TimelineData; window: Window; timeZone: string } | null>(null);
  const [status, setStatus] = useState("");
  // Bumped after each save, so the layer forms start again from what the server now has.
  const [version, setVersion] = useState(0);
  usePageTitle(schedule ? `Schedule ${schedule.name}` : "Schedule");
  const paramsKey = params.toString();

  const load = useCallback(async () => {
    const answer = await session.client.query(ConsoleScheduleDocument, { id }, { requestPolicy: "network-only" }).toPromise();
    if (answer.error) return failed("Could not load the schedule", answer.error);
    if (!answer.data) return;
    setUsers(answer.data.users);
    const found = answer.data.schedule ?? null;
    setSchedule(found);
    if (!found) return;
    const timeZone = knownZone(found.timezone) ? found.timezone : "UTC";
    const window = timelineWindow(new URLSearchParams(paramsKey), Date.now(), timeZone);
    const shifts = await session.client
      .query(ConsoleTimelineDocument, { id, from: new Date(window.from).toISOString(), until: new Date(window.until).toISOString() }, { requestPolicy: "network-only" })
      .toPromise();
    if (shifts.error) return failed("Could not load the timeline", shifts.error);
    if (shifts.data?.schedule) setTimeline({ data: shifts.data.schedule, window, timeZone });
  }, [session, failed, id, paramsKey]);
  useEffect(() => {
    void load();
    return session.onConnected(() => void load());
  }, [session, load]);
  useOnCallChanges(
    useCallback((scheduleIds: string[]) => {
      if (scheduleIds.includes(id)) void load();
    }, [id, load]),
  );
  const saved = useCallback((text: string) => {
    setStatus(text);
    setVersion((v) => v + 1);
    void load();
  }, [load]);

  if (schedule === undefined) return <section aria-busy="true" aria-label="Schedule" />;
  if (schedule === null)
    return (
      <section aria-labelledby="section-title">
        <h2 id="section-title">Schedule not found</h2>
        <p>
          <Link href="/admin/schedules">All schedules</Link>
        </p>
      </section>
    );
  const timeZone = knownZone(schedule.timezone) ? schedule.timezone : "UTC";
  const now = Date.now();
  // Versions that ended are history (past shifts stay as they were); the rest can be edited.
  const current = schedule.layers
    .filter((layer) => !layer.endsOn || Date.parse(layer.endsOn) > now)
    .sort((a, b) => b.position - a.position || Date.parse(a.startsOn) - Date.parse(b.startsOn));
  const topPosition = Math.max(-1, ...current.map((layer) => layer.position));

  return (
    <section aria-labelledby="section-title" id="schedule-editor" data-schedule-id={schedule.id}>
      <p>
        <Link href="/admin/schedules">All schedules</Link>
      </p>
      <h2 id="section-title">{schedule.name}</h2>
      <p className="hint">
        {schedule.kind === "STATIC" ? "Static shifts" : "Recurring rotation"} in {schedule.timezone}.
      </p>
      <p id="schedule-status" role="status" aria-live="polite" className="sched-status">
        {status}
      </p>
      <Details key={`details-${version}`} schedule={schedule} onSaved={saved} />
      {schedule.kind === "RECURRING" && (
        <section aria-labelledby="layers-title" className="sched-layers">
          <h3 id="layers-title">Layers</h3>
          <p className="hint">Where layers overlap, the higher one wins; outside its weekly windows a layer lets the ones below show through.</p>
          {current.length === 0 && <p className="empty">No layers yet: nobody is on call.</p>}
          <ol className="plain-list">
            {current.map((layer) => (
              <LayerCard key={`${layer.id}-${version}`} layer={layer} top={topPosition} scheduleId={schedule.id} timeZone={timeZone} users={users} onSaved={saved} />
            ))}
          </ol>
          <details className="card sched-new-layer">
            <summary>Add a layer</summary>
            <LayerForm key={`new-${version}`} formId="new-layer" scheduleId={schedule.id} timeZone={timeZone} people={users} layer={null} onSaved={saved} />
          </details>
        </section>
      )}
      {schedule.kind === "STATIC" && timeline && (
        <StaticShiftsEditor scheduleId={schedule.id} timeZone={timeZone} users={users} shifts={timeline.data.shifts} onSaved={saved} />
      )}
      {timeline && <OverridesEditor scheduleId={schedule.id} timeZone={timeZone} users={users} overrides={timeline.data.overrides} onSaved={saved} />}
      {timeline && <Timeline scheduleId={schedule.id} data={timeline.data} window={timeline.window} timeZone={timeline.timeZone} params={params} />}
      <DeleteSchedule id={schedule.id} name={schedule.name} />
    </section>
  );
}

function Details({ schedule, onSaved }: { schedule: Loaded; onSaved: (text: string) => void }) {
  const { session } = useShell();
  const [name, setName] = useState(schedule.name);
  const [timezone, setTimezone] = useState(schedule.timezone);
  const [error, setError] = useState<FormError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await session.client.mutation(ConsoleUpdateScheduleDocument, { id: schedule.id, name, timezone }).toPromise();
    if (result.error) return setError(formError(result.error));
    setError(null);
    onSaved("Schedule saved.");
  };
  const nameError = messageFor(error, "name");
  const zoneError = messageFor(error, "timezone");
  const other = unplacedMessage(error, ["name", "timezone"]);
  return (
    <form className="sched-form card" onSubmit={submit} aria-label="Name and time zone">
      <Field id="edit-schedule-name" label="Name" error={nameError}>
        <input id="edit-schedule-name" required value={name} onChange={(e) => setName(e.currentTarget.value)} aria-describedby={describedBy("edit-schedule-name", nameError)} />
      </Field>
      <Field id="edit-schedule-timezone" label="Time zone" error={zoneError}>
        <input id="edit-schedule-timezone" required list="edit-schedule-zones" value={timezone} onChange={(e) => setTimezone(e.currentTarget.value)} aria-describedby={describedBy("edit-schedule-timezone", zoneError)} />
      </Field>
      <ZoneList id="edit-schedule-zones" />
      <p className="sched-buttons">
        <button type="submit">Save name and time zone</button>
      </p>
      {other && (
        <p className="sched-error" role="alert">
          {other}
        </p>
      )}
    </form>
  );
}

function LayerCard({
  layer, top, scheduleId, timeZone, users, onSaved,
}: { layer: Layer; top: number; scheduleId: string; timeZone: string; users: ConsoleScheduleQuery["users"]; onSaved: (text: string) => void }) {
  const { session } = useShell();
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState("");
  const title = `Layer ${layer.position + 1}`;
  const move = async (position: number) => {
    const result = await session.client.mutation(ConsoleMoveLayerDocument, { id: layer.id, position }).toPromise();
    if (result.error) return setProblem(errorText(result.error));
    onSaved(`${title} moved to position ${position + 1}.`);
  };
  const remove = async () => {
    const result = await session.client.mutation(ConsoleDeleteLayerDocument, { id: layer.id }).toPromise();
    if (result.error) return setProblem(errorText(result.error));
    onSaved(`${title} deleted.`);
  };
  return (
    <li className="card sched-layer" data-layer-id={layer.id} aria-labelledby={`layer-${layer.id}-title`}>
      <h4 id={`layer-${layer.id}-title`}>
        {title} <span className="hint">({describeRotation(layer.rotation)} turns)</span>
      </h4>
      <p className="sched-buttons">
        <button type="button" disabled={layer.position >= top} onClick={() => move(layer.position + 1)}>
          Move layer up<span className="sched-sr"> from {title}</span>
        </button>
        <button type="button" disabled={layer.position <= 0} onClick={() => move(layer.position - 1)}>
          Move layer down<span className="sched-sr"> from {title}</span>
        </button>
        {!confirming && (
          <button type="button" onClick={() => setConfirming(true)}>
            Delete layer<span className="sched-sr"> {layer.position + 1}</span>
          </button>
        )}
        {confirming && (
          <>
            <button type="button" className="danger" onClick={remove}>
              Yes, delete {title}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        )}
      </p>
      {problem && (
        <p className="sched-error" role="alert">
          {problem}
        </p>
      )}
      <LayerForm formId={`layer-${layer.id}`} scheduleId={scheduleId} timeZone={timeZone} people={users} layer={layer} onSaved={onSaved} />
    </li>
  );
}

function DeleteSchedule({ id, name }: { id: string; name: string }) {
  const { session } = useShell();
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState("");
  const remove = async () => {
    const result = await session.client.mutation(ConsoleDeleteScheduleDocument, { id }).toPromise();
    if (result.error) {
      setConfirming(false);
      return setProblem(errorText(result.error));
    }
    navigate("/admin/schedules");
  };
  return (
    <section aria-labelledby="delete-title" className="card sched-delete">
      <h3 id="delete-title">Delete this schedule</h3>
      {!confirming && (
        <button type="button" onClick={() => setConfirming(true)}>
          Delete schedule
        </button>
      )}
      {confirming && (
        <p className="sched-buttons">
          <span>Delete {name} and all its layers, shifts and overrides?</span>{" "}
          <button type="button" className="danger" onClick={remove}>
            Yes, delete {name}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </p>
      )}
      {problem && (
        <p id="delete-problem" className="sched-error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
