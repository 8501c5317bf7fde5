// Support hours in the admin console: the list (whether each is in support now, the weekly
// windows), a form to create (/admin/support-hours/new) and one to edit (/admin/support-hours/<id>):
// time zone, weekly windows and exceptions that replace a date. Deleting hours a source uses is
// refused by the server, which names the sources.
import { useState, type FormEvent } from "react";
import {
  CreateSupportHoursDocument,
  DeleteSupportHoursDocument,
  SupportHoursListDocument,
  UpdateSupportHoursDocument,
  type SupportHoursListQuery,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { FieldMessage } from "../sources/FieldMessage";
import { fieldError, messageFor, unclaimed, type FieldError } from "../sources/fieldErrors";
import {
  WEEKDAYS,
  describeWeekly,
  exceptionsFromJson,
  exceptionsToJson,
  officeHours,
  weeklyFromJson,
  type ExceptionRow,
  type Weekday,
  type WeeklyRow,
} from "../sources/supportHours";
import { need, useAdminData } from "../sources/useAdminData";
import type { SectionProps } from "./AdminConsole";
import "../sources/sources.css";

type Hours = SupportHoursListQuery["supportHours"][number];

export function SupportHoursSection({ id }: SectionProps) {
  const { data, reload } = useAdminData(
    "the support hours",
    async (client) => need(await client.query(SupportHoursListDocument, {}, { requestPolicy: "network-only" }).toPromise()),
    ["SUPPORT_HOURS"],
  );
  if (!data) return <section aria-busy="true" aria-label="Support hours" />;
  if (id !== null) {
    const hours = id === "new" ? null : data.supportHours.find((h) => h.id === id);
    if (hours === undefined) return <NotFound />;
    return <HoursForm key={id} hours={hours} teams={data.teams} done={() => { reload(); navigate("/admin/support-hours"); }} />;
  }
  return <HoursList data={data} reload={reload} />;
}

function NotFound() {
  return (
    <section aria-labelledby="section-title">
      <h2 id="section-title">Support hours not found</h2>
      <p>
        They may have been deleted. <Link href="/admin/support-hours">All support hours</Link>
      </p>
    </section>
  );
}

function HoursList({ data, reload }: { data: SupportHoursListQuery; reload: () => void }) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const remove = async (hours: Hours) => {
    const answer = await session.client.mutation(DeleteSupportHoursDocument, { id: hours.id }).toPromise();
    setResult(answer.error ? errorText(answer.error) : `${hours.name} deleted.`);
    reload();
  };
  return (
    <section aria-labelledby="section-title" data-ready="true">
      <h2 id="section-title">Support hours</h2>
      <p className="hint">When someone is there to answer: priority rules of alert sources can depend on them.</p>
      <p>
        <Link href="/admin/support-hours/new">New support hours</Link>
      </p>
      {data.supportHours.length === 0 && <p className="empty">No support hours yet.</p>}
      <ul id="support-hours" className="admin-list">
        {data.supportHours.map((hours) => (
          <li key={hours.id} data-support-hours-id={hours.id}>
            <strong>{hours.name}</strong> ({hours.timezone}): {hours.inSupportNow ? "in support now" : "outside support now"}
            {hours.nextChange ? `, changes ${formatTime(hours.nextChange)}` : ""}
            <br />
            <span className="hint">{describeWeekly(weeklyFromJson(hours.weekly))}</span>
            <div className="admin-row">
              <Link href={`/admin/support-hours/${hours.id}`} aria-label={`Edit ${hours.name}`}>
                Edit
              </Link>
              <button type="button" onClick={() => remove(hours)} aria-label={`Delete ${hours.name}`}>
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
      <p id="support-hours-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}

const FIELDS = ["name", "timezone", "weekly", "exceptions", "teamId"];

function HoursForm({ hours, teams, done }: { hours: Hours | null; teams: SupportHoursListQuery["teams"]; done: () => void }) {
  const { session } = useShell();
  const [name, setName] = useState(hours?.name ?? "");
  const [zone, setZone] = useState(hours?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [team, setTeam] = useState(hours?.teamId ?? "");
  const [weekly, setWeekly] = useState<WeeklyRow[]>(() => (hours ? weeklyFromJson(hours.weekly) : officeHours()));
  const [exceptions, setExceptions] = useState<ExceptionRow[]>(() => (hours ? exceptionsFromJson(hours.exceptions) : []));
  const [error, setError] = useState<FieldError | null>(null);
  const title = hours ? `Edit ${hours.name}` : "New support hours";

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const common = { timezone: zone.trim(), weekly, exceptions: exceptionsToJson(exceptions) };
    const answer = hours
      ? await session.client.mutation(UpdateSupportHoursDocument, { id: hours.id, ...common }).toPromise()
      : await session.client.mutation(CreateSupportHoursDocument, { name: name.trim(), team: team || null, ...common }).toPromise();
    if (answer.error) return setError(fieldError(answer.error, ["support hours", "timezone", "weekly", "exceptions"]));
    done();
  };
  const setRow = (index: number, change: Partial<WeeklyRow>) => setWeekly((rows) => rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const setException = (index: number, change: Partial<ExceptionRow>) =>
    setExceptions((rows) => rows.map((row, i) => (i === index ? { ...row, ...change } : row)));

  return (
    <section aria-labelledby="section-title">
      <h2 id="section-title">{title}</h2>
      <p>
        <Link href="/admin/support-hours">All support hours</Link>
      </p>
      <form className="admin-form admin-card" aria-label={title} onSubmit={submit}>
        {!hours && (
          <>
            <label htmlFor="hours-name">Name</label>
            <input id="hours-name" value={name} onChange={(e) => setName(e.currentTarget.value)} required aria-describedby="hours-name-error" />
            <FieldMessage id="hours-name-error" text={messageFor(error, "name")} />
            <label htmlFor="hours-team">Team</label>
            <select id="hours-team" value={team} onChange={(e) => setTeam(e.currentTarget.value)}>
              <option value="">None (organisation-wide)</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </>
        )}
        <label htmlFor="hours-zone">Time zone</label>
        <input id="hours-zone" value={zone} onChange={(e) => setZone(e.currentTarget.value)} required aria-describedby="hours-zone-error" />
        <FieldMessage id="hours-zone-error" text={messageFor(error, "timezone")} />
        <fieldset aria-describedby="hours-weekly-error">
          <legend>Weekly hours</legend>
          {weekly.map((row, index) => (
            <div key={index} className="admin-row">
              <label htmlFor={`weekly-${index}-day`}>Window {index + 1} day</label>
              <select id={`weekly-${index}-day`} value={row.day} onChange={(e) => setRow(index, { day: e.currentTarget.value as Weekday })}>
                {WEEKDAYS.map((day) => (
                  <option key={day} value={day}>
                    {day.slice(0, 1) + day.slice(1).toLowerCase()}
                  </option>
                ))}
              </select>
              <label htmlFor={`weekly-${index}-start`}>Window {index + 1} from</label>
              <input id={`weekly-${index}-start`} type="time" value={row.start} onChange={(e) => setRow(index, { start: e.currentTarget.value })} required />
              <label htmlFor={`weekly-${index}-end`}>Window {index + 1} to</label>
              <input id={`weekly-${index}-end`} value={row.end} onChange={(e) => setRow(index, { end: e.currentTarget.value })} placeholder="17:00 or 24:00" required />
              <button type="button" onClick={() => setWeekly((rows) => rows.filter((_, i) => i !== index))}>
                Remove window {index + 1}
              </button>
              <FieldMessage id={`weekly-${index}-error`} text={messageFor(error, `weekly[${index}]`)} />
            </div>
          ))}
          <div className="admin-row">
            <button type="button" onClick={() => setWeekly((rows) => [...rows, { day: "MONDAY", start: "09:00", end: "17:00" }])}>
              Add a window
            </button>
          </div>
          <FieldMessage id="hours-weekly-error" text={messageFor(error, "weekly") && !/^weekly\[\d+\]/.test(error?.field ?? "") ? messageFor(error, "weekly") : ""} />
        </fieldset>
        <fieldset aria-describedby="hours-exceptions-error">
          <legend>Exceptions (replace a whole date)</legend>
          {exceptions.map((row, index) => (
            <div key={index} className="admin-row">
              <label htmlFor={`exception-${index}-date`}>Exception {index + 1} date</label>
              <input id={`exception-${index}-date`} type="date" value={row.date} onChange={(e) => setException(index, { date: e.currentTarget.value })} required />
              <input id={`exception-${index}-closed`} type="checkbox" checked={row.closed} onChange={(e) => setException(index, { closed: e.currentTarget.checked })} />
              <label htmlFor={`exception-${index}-closed`}>Exception {index + 1} closed all day</label>
              {!row.closed && (
                <>
                  <label htmlFor={`exception-${index}-start`}>Exception {index + 1} from</label>
                  <input id={`exception-${index}-start`} type="time" value={row.start} onChange={(e) => setException(index, { start: e.currentTarget.value })} required />
                  <label htmlFor={`exception-${index}-end`}>Exception {index + 1} to</label>
                  <input id={`exception-${index}-end`} value={row.end} onChange={(e) => setException(index, { end: e.currentTarget.value })} required />
                </>
              )}
              <button type="button" onClick={() => setExceptions((rows) => rows.filter((_, i) => i !== index))}>
                Remove exception {index + 1}
              </button>
              <FieldMessage id={`exception-${index}-error`} text={messageFor(error, `exceptions[${index}]`)} />
            </div>
          ))}
          <div className="admin-row">
            <button type="button" onClick={() => setExceptions((rows) => [...rows, { date: "", closed: true, start: "", end: "" }])}>
              Add an exception
            </button>
          </div>
          <FieldMessage id="hours-exceptions-error" text={messageFor(error, "exceptions") && !/^exceptions\[\d+\]/.test(error?.field ?? "") ? messageFor(error, "exceptions") : ""} />
        </fieldset>
        <div className="admin-row">
          <button type="submit">{hours ? "Save support hours" : "Create support hours"}</button>
        </div>
        <p id="hours-result" role="status" aria-live="polite" className="problem">
          {unclaimed(error, FIELDS)}
        </p>
      </form>
    </section>
  );
}
