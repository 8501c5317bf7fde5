// Every schedule the admin can see, each a link to its editor, and the way to a new one.
import { useCallback, useEffect, useState } from "react";
import { ConsoleSchedulesDocument, type ConsoleSchedulesQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { Link } from "../shell/Link";
import { useOnCallChanges } from "../oncall/useOnCallChanges";

export function ScheduleList() {
  const { session, failed } = useShell();
  const [schedules, setSchedules] = useState<ConsoleSchedulesQuery["schedules"] | null>(null);
  const load = useCallback(() => {
    void session.client
      .query(ConsoleSchedulesDocument, {}, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load the schedules", result.error);
        else if (result.data) setSchedules(result.data.schedules);
      });
  }, [session, failed]);
  useEffect(() => {
    load();
    return session.onConnected(load);
  }, [session, load]);
  // Another admin's new or renamed schedule shows up without a reload.
  useOnCallChanges(useCallback(() => load(), [load]));

  return (
    <section aria-labelledby="section-title" aria-busy={schedules === null}>
      <h2 id="section-title">Schedules</h2>
      <p>
        <Link href="/admin/schedules/new" className="sched-action-link">
          New schedule
        </Link>
      </p>
      {schedules && schedules.length === 0 && <p className="empty">No schedules yet.</p>}
      {schedules && schedules.length > 0 && (
        <ul id="schedule-list" className="plain-list sched-list">
          {schedules.map((schedule) => (
            <li key={schedule.id} data-schedule-id={schedule.id}>
              <Link href={`/admin/schedules/${schedule.id}`}>{schedule.name}</Link>{" "}
              <span className="hint">
                {schedule.kind === "STATIC" ? "static shifts" : "rotation"}, {schedule.timezone}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
