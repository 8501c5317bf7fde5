// A schedule's final timeline, a week at a time (Monday to Sunday in the viewer's zone): each
// day's shifts after layers, restrictions and overrides; overrides marked. `?week=YYYY-MM-DD`
// (any day of the week) keeps the week in the address, so back and reload keep it.
import { useCallback, useEffect, useState } from "react";
import { ScheduleWeekDocument, type ScheduleWeekQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { Link } from "../shell/Link";
import { usePageTitle } from "../shell/usePageTitle";
import { layOutDays } from "./agenda";
import { useOnCallChanges } from "./useOnCallChanges";
import { dayKey, dayTitle, knownZone, startOfDay, startOfWeek } from "./zoned";

type Loaded = { schedule: NonNullable<ScheduleWeekQuery["schedule"]> | null; from: number; until: number; timeZone: string };

/** The instant inside the week `?week=` names (noon UTC of that date), or now. */
export function weekAnchor(week: string | null, now: number): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(week ?? "");
  if (!match) return now;
  const at = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12);
  return Number.isNaN(at) ? now : at;
}

export function SchedulePage({ id, params }: { id: string; params: URLSearchParams }) {
  const { session, failed } = useShell();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const week = params.get("week");
  usePageTitle(loaded?.schedule ? `Schedule ${loaded.schedule.name}` : "Schedule");

  const load = useCallback(() => {
    const anchor = weekAnchor(week, Date.now());
    // Asked wide (a day either side) since the viewer's zone arrives with the answer.
    const from = startOfWeek(anchor, "UTC") - 86_400_000;
    const until = from + 9 * 86_400_000;
    void session.client
      .query(ScheduleWeekDocument, { id, from: new Date(from).toISOString(), until: new Date(until).toISOString() }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load the schedule", result.error);
        else if (result.data) {
          const timeZone = knownZone(result.data.me.timezone) ? result.data.me.timezone : "UTC";
          const start = startOfWeek(anchor, timeZone);
          setLoaded({ schedule: result.data.schedule ?? null, from: start, until: startOfDay(start, timeZone, 7), timeZone });
        }
      });
  }, [session, failed, id, week]);
  // Another week is another address: loaded then, and again after every reconnection.
  useEffect(() => {
    load();
    return session.onConnected(load);
  }, [session, load]);
  // An override or an accepted coverage request shows up without a reload.
  const changed = useCallback((scheduleIds: string[]) => {
    if (scheduleIds.includes(id)) load();
  }, [id, load]);
  useOnCallChanges(changed);

  if (!loaded) return <section aria-busy="true" aria-label="Schedule" />;
  if (!loaded.schedule)
    return (
      <section>
        <h2>Schedule not found</h2>
        <p>
          <Link href="/oncall">On call</Link>
        </p>
      </section>
    );
  const { schedule, from, until, timeZone } = loaded;
  const days = layOutDays(schedule.shifts, from, until, timeZone);
  const link = (weeks: number) => {
    const start = startOfDay(from, timeZone, 7 * weeks);
    return `/schedules/${schedule.id}?week=${dayKey(start, timeZone)}`;
  };
  const thisWeek = startOfWeek(Date.now(), timeZone);
  return (
    <section id="schedule-view" aria-labelledby="schedule-title" data-ready="true">
      <h2 id="schedule-title">{schedule.name}</h2>
      <p className="hint">
        Week of {dayTitle(from, timeZone)}, times in {timeZone} (the schedule runs in {schedule.timezone}).
      </p>
      <nav className="week-nav" aria-label="Weeks">
        <Link href={link(-1)}>Previous week</Link>
        {from !== thisWeek && <Link href={`/schedules/${schedule.id}?week=${dayKey(thisWeek, timeZone)}`}>This week</Link>}
        <Link href={link(1)}>Next week</Link>
      </nav>
      <ol id="schedule-week" className="week">
        {days.map((day) => (
          <li key={day.key} className="week-day" data-day={day.key}>
            <h3>{dayTitle(day.start, timeZone)}</h3>
            {day.pieces.length === 0 && <p className="empty">Nobody on call.</p>}
            <ul className="plain-list">
              {day.pieces.map((piece) => {
                const override = piece.shift.source === "override";
                return (
                  <li key={`${piece.shift.start}-${piece.shift.source}-${piece.shift.sourceId ?? ""}`} className="shift" data-source={piece.shift.source}>
                    <span className="shift-time">{piece.label}</span> <strong>{piece.shift.user ? piece.shift.user.name : "nobody"}</strong>
                    {override && <span className="badge"> override</span>}
                  </li>
                );
              })}
            </ul>
          </li>
        ))}
      </ol>
      <p>
        <Link href="/oncall">Back to On call</Link>
      </p>
    </section>
  );
}

