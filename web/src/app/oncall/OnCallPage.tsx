// The On call page: who is on call now for each schedule and every level of each policy the
// viewer can see, then "My shifts" for the next four weeks as an agenda in the viewer's time
// zone (their profile's, not the browser's). Reloaded on reconnection, every minute and when on-call changes.
import { useCallback, useState } from "react";
import { OnCallPageDocument, type OnCallPageQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { Link } from "../shell/Link";
import { usePageTitle } from "../shell/usePageTitle";
import { MyShifts } from "./MyShifts";
import { useOnCallChanges } from "./useOnCallChanges";
import { usePolled } from "./usePolled";
import { policyLevels } from "./levels";
import { knownZone, startOfDay } from "./zoned";

const REFRESH_MS = 60_000;
export const AGENDA_DAYS = 28;

export function OnCallPage() {
  const { session, failed } = useShell();
  const [data, setData] = useState<{ answer: OnCallPageQuery; from: number; until: number; timeZone: string } | null>(null);
  const [timeZone, setTimeZone] = useState<string | null>(null);
  usePageTitle("On call");

  const load = useCallback(() => {
    // The window starts at today's midnight in the viewer's zone: known after the first answer,
    // so the first load uses UTC's midnight minus a day (wide enough for every zone).
    const zone = timeZone ?? "UTC";
    const from = startOfDay(Date.now(), zone, timeZone ? 0 : -1);
    const until = startOfDay(from, zone, AGENDA_DAYS + (timeZone ? 0 : 2));
    void session.client
      .query(OnCallPageDocument, { from: new Date(from).toISOString(), until: new Date(until).toISOString() }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load who is on call", result.error);
        else if (result.data) {
          const zoneNow = knownZone(result.data.me.timezone) ? result.data.me.timezone : "UTC";
          const shown = startOfDay(Date.now(), zoneNow);
          setTimeZone(zoneNow);
          setData({ answer: result.data, from: shown, until: startOfDay(shown, zoneNow, AGENDA_DAYS), timeZone: zoneNow });
        }
      });
  }, [session, failed, timeZone]);
  usePolled(load, REFRESH_MS);
  useOnCallChanges(load);

  return (
    <section id="oncall-view" aria-labelledby="oncall-page-title" data-ready={data ? true : undefined}>
      <h2 id="oncall-page-title">On call</h2>
      {data && (
        <>
          <h3>Schedules</h3>
          {data.answer.onCall.length === 0 && <p className="empty">No schedules.</p>}
          <ul id="oncall-schedules" className="plain-list">
            {data.answer.onCall.map((entry) => (
              <li key={entry.schedule.id} data-schedule-id={entry.schedule.id}>
                <Link href={`/schedules/${entry.schedule.id}`}>{entry.schedule.name}</Link>:{" "}
                <strong className="who">{entry.user ? entry.user.name : "nobody (gap)"}</strong>
              </li>
            ))}
          </ul>
          <h3>Escalation policies</h3>
          {data.answer.onCallByPolicy.length === 0 && <p className="empty">No escalation policies.</p>}
          {policyLevels(data.answer).map((policy) => (
            <div key={policy.id} className="policy" data-policy-id={policy.id}>
              <h4>{policy.name}</h4>
              <ul className="plain-list">
                {policy.levels.map((level) => (
                  <li key={level.level}>
                    Level {level.level}: <strong className="who">{level.who}</strong>
                  </li>
                ))}
              </ul>
            </div>
          ))}
          <MyShifts shifts={data.answer.myShifts} from={data.from} until={data.until} timeZone={data.timeZone} />
        </>
      )}
    </section>
  );
}
