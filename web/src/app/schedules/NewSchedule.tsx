// Creating a schedule: its name, time zone (the clock its rotations and restrictions follow),
// kind (rotating layers, or fixed shifts) and team. Layers and shifts are added in its editor.
import { useState, type FormEvent } from "react";
import { ConsoleCreateScheduleDocument, ConsoleScheduleChoicesDocument, type ScheduleKind } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { useLoadOnce } from "../shell/useLoadOnce";
import { Field, ZoneList, describedBy } from "./fields";
import { formError, messageFor, unplacedMessage, type FormError } from "./fieldError";

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function NewSchedule() {
  const { session } = useShell();
  const { data } = useLoadOnce(ConsoleScheduleChoicesDocument, {});
  const [name, setName] = useState("");
  const [timezone, setTimezone] = useState(browserZone);
  const [kind, setKind] = useState<ScheduleKind>("RECURRING");
  const [teamId, setTeamId] = useState("");
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const result = await session.client
      .mutation(ConsoleCreateScheduleDocument, { name, timezone, kind, teamId: teamId || null })
      .toPromise();
    setBusy(false);
    if (result.error) return setError(formError(result.error));
    if (result.data) navigate(`/admin/schedules/${result.data.createSchedule.id}`);
  };
  const nameError = messageFor(error, "name");
  const zoneError = messageFor(error, "timezone");
  const teamError = messageFor(error, "teamId", "team id");

  return (
    <section aria-labelledby="section-title">
      <h2 id="section-title">New schedule</h2>
      <form className="sched-form card" onSubmit={submit}>
        <Field id="schedule-name" label="Name" error={nameError}>
          <input id="schedule-name" required value={name} onChange={(e) => setName(e.currentTarget.value)} aria-describedby={describedBy("schedule-name", nameError)} />
        </Field>
        <Field id="schedule-timezone" label="Time zone" error={zoneError}>
          <input id="schedule-timezone" required list="schedule-zones" value={timezone} onChange={(e) => setTimezone(e.currentTarget.value)} aria-describedby={describedBy("schedule-timezone", zoneError)} />
        </Field>
        <ZoneList id="schedule-zones" />
        <fieldset className="sched-choice">
          <legend>Kind</legend>
          <label>
            <input type="radio" name="kind" value="RECURRING" checked={kind === "RECURRING"} onChange={() => setKind("RECURRING")} /> Recurring: people take turns in layers
          </label>
          <label>
            <input type="radio" name="kind" value="STATIC" checked={kind === "STATIC"} onChange={() => setKind("STATIC")} /> Static: fixed shifts
          </label>
        </fieldset>
        <Field id="schedule-team" label="Team" error={teamError}>
          <select id="schedule-team" value={teamId} onChange={(e) => setTeamId(e.currentTarget.value)} aria-describedby={describedBy("schedule-team", teamError)}>
            <option value="">No team (everyone sees it)</option>
            {data?.teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </Field>
        <p className="sched-buttons">
          <button type="submit" disabled={busy}>
            Create schedule
          </button>{" "}
          <Link href="/admin/schedules">Cancel</Link>
        </p>
        {unplacedMessage(error, ["name", "timezone", "teamId", "team id"]) && (
          <p className="sched-error" role="alert">
            {unplacedMessage(error, ["name", "timezone", "teamId", "team id"])}
          </p>
        )}
      </form>
    </section>
  );
}
