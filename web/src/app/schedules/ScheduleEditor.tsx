// One schedule in the console: its name and time zone, its layers (recurring) or fixed shifts
// (static), its overrides, deleting it, and its timeline. Everything reloads after each change
// and when someone else changes who is on call on it.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import {
  ConsoleDeleteLayerDocument, ConsoleDeleteScheduleDocument, ConsoleMoveLayerDocument, ConsoleScheduleDocument,
  ConsoleTimelineDocument, ConsoleUpdateScheduleDocument, type ConsoleScheduleQuery, type ConsoleTimelineQuery,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { usePageTitle } from "../shell/usePageTitle";
import { useConfigChanges } from "../admin/useConfigChanges";
import { useOnCallChanges } from "../oncall/useOnCallChanges";
import { knownZone } from "../oncall/zoned";
import { Field, ZoneList, describedBy } from "./fields";
import { fieldError, messageFor, unclaimed, type FieldError } from "../shell/fieldErrors";
import { LayerForm } from "./LayerForm";
import { OverridesEditor, StaticShiftsEditor } from "./ShiftsEditors";
import { Timeline } from "./Timeline";
import { timelineWindow, type Window } from "./timeline";
import { layerNumbers } from "./order";
import { describeRotation } from "./rotation";
import { ConfirmDelete } from "../admin/ConfirmDelete";

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

  const fetchAll = useCallback(async () => {
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
  // One change arrives several ways (the save's own answer, the on-call and the configuration
  // feeds): a reload asked for while one runs is made once, after it.
  const loading = useRef<{ running: boolean; again: boolean }>({ running: false, again: false });
  // The reload made after a running one reads the address as it is then (weeks, from).
  const latest = useRef(fetchAll);
  latest.current = fetchAll;
  const load = useCallback(async () => {
    const state = loading.current;
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    try {
      do {
        state.again = false;
        await latest.current();
      } while (state.again);
    } finally {
      state.running = false;
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, fetchAll]);
  useEffect(() => session.onConnected(() => void load()), [session, load]);
  // Live: an edit by another admin (this schedule, or people's names and reachability), an
  // override or an accepted coverage request.
  useConfigChanges(["SCHEDULE", "USER"], (change) => {
    if (change.kind === "USER" || change.id === id) void load();
  });
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
  // moveLayer counts places from the bottom (0, 1, …) over every layer, ended versions too.
  const numbers = layerNumbers(schedule.layers.map((layer) => layer.position));

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
              <LayerCard key={`${layer.id}-${version}`} layer={layer} number={numbers.get(layer.position) ?? 1} count={numbers.size} scheduleId={schedule.id} timeZone={timeZone} users={users} onSaved={saved} />
            ))}
          </ol>
          <details className="card sched-new-layer">
            <summary>Add a layer</summary>
            <LayerForm key={`new-${version}`} formId="new-layer" number={numbers.size + 1} scheduleId={schedule.id} timeZone={timeZone} people={users} layer={null} onSaved={saved} />
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
  const [error, setError] = useState<FieldError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await session.client.mutation(ConsoleUpdateScheduleDocument, { id: schedule.id, name, timezone }).toPromise();
    if (result.error) return setError(fieldError(result.error));
    setError(null);
    onSaved("Schedule saved.");
  };
  const nameError = messageFor(error, "name");
  const zoneError = messageFor(error, "timezone");
  const other = unclaimed(error, ["name", "timezone"]);
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
  layer, number, count, scheduleId, timeZone, users, onSaved,
}: { layer: Layer; number: number; count: number; scheduleId: string; timeZone: string; users: ConsoleScheduleQuery["users"]; onSaved: (text: string) => void }) {
  const { session } = useShell();
  const [problem, setProblem] = useState("");
  const title = `Layer ${number}`;
  /** To place `to` (1 at the bottom); the server counts from 0. */
  const move = async (to: number) => {
    const result = await session.client.mutation(ConsoleMoveLayerDocument, { id: layer.id, position: to - 1 }).toPromise();
    if (result.error) return setProblem(errorText(result.error));
    onSaved(`${title} is now layer ${to}.`);
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
        <button type="button" disabled={number >= count} onClick={() => move(number + 1)}>
          Move layer up<span className="sched-sr"> from {title}</span>
        </button>
        <button type="button" disabled={number <= 1} onClick={() => move(number - 1)}>
          Move layer down<span className="sched-sr"> from {title}</span>
        </button>
        <ConfirmDelete
          start={
            <>
              Delete layer<span className="sched-sr"> {number}</span>
            </>
          }
          question={`Delete ${title}?`}
          confirm={`Yes, delete ${title}`}
          onDelete={remove}
        />
      </p>
      {problem && (
        <p className="sched-error" role="alert">
          {problem}
        </p>
      )}
      <LayerForm formId={`layer-${layer.id}`} number={number} scheduleId={scheduleId} timeZone={timeZone} people={users} layer={layer} onSaved={onSaved} />
    </li>
  );
}

function DeleteSchedule({ id, name }: { id: string; name: string }) {
  const { session } = useShell();
  const [problem, setProblem] = useState("");
  const remove = async () => {
    const result = await session.client.mutation(ConsoleDeleteScheduleDocument, { id }).toPromise();
    if (result.error) return setProblem(errorText(result.error));
    navigate("/admin/schedules");
  };
  return (
    <section aria-labelledby="delete-title" className="card sched-delete">
      <h3 id="delete-title">Delete this schedule</h3>
      <ConfirmDelete
        start="Delete schedule"
        question={`Delete ${name} and all its layers, shifts and overrides?`}
        confirm={`Yes, delete ${name}`}
        onDelete={remove}
        className="sched-buttons"
      />
      {problem && (
        <p id="delete-problem" className="sched-error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
