// Coverage (`/coverage`): ask colleagues to take one of my shifts (or a part of it), answer
// what I was asked (accept all, accept a part, decline) and cancel what I asked. The lists
// follow coverageRequestEvents live, and are fetched again after every reconnection.
import { useCallback, useEffect, useState } from "react";
import { CoverageDocument, CoverageFeedDocument, type CoverageQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { usePageTitle } from "../shell/usePageTitle";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";
import { knownZone, startOfDay } from "../oncall/zoned";
import { AskForm } from "./AskForm";
import { Inbox } from "./Inbox";
import { MyRequests } from "./MyRequests";
import { inbox, myRequests } from "./lists";

const WEEKS_AHEAD = 4;

export interface CoverageData {
  answer: CoverageQuery;
  timeZone: string;
  names: Map<string, string>;
}

export function CoveragePage() {
  const { session, failed, showMessage } = useShell();
  const [data, setData] = useState<CoverageData | null>(null);
  usePageTitle("Coverage");

  const load = useCallback(() => {
    // Shifts from now (a day early: the viewer's midnight is not known yet) for four weeks.
    const from = startOfDay(Date.now(), "UTC", -1);
    const until = startOfDay(from, "UTC", 7 * WEEKS_AHEAD + 2);
    void session.client
      .query(CoverageDocument, { from: new Date(from).toISOString(), until: new Date(until).toISOString() }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load coverage requests", result.error);
        else if (result.data)
          setData({
            answer: result.data,
            timeZone: knownZone(result.data.me.timezone) ? result.data.me.timezone : "UTC",
            names: new Map(result.data.users.map((user) => [user.id, user.name])),
          });
      });
  }, [session, failed]);
  useRefetchOnConnect(load);

  useEffect(() => {
    const { unsubscribe } = session.client.subscription(CoverageFeedDocument, {}).subscribe((result) => {
      if (result.error) showMessage(`Live updates failed: ${result.error.message}`);
      if (result.data) load();
    });
    return unsubscribe;
  }, [session, showMessage, load]);

  if (!data) return <section aria-busy="true" aria-label="Coverage" />;
  const me = data.answer.me.id;
  const now = Date.now();
  return (
    <section id="coverage-page" aria-labelledby="coverage-page-title" data-ready="true">
      <h2 id="coverage-page-title">Coverage</h2>
      <Inbox requests={inbox(data.answer.coverageRequests, me)} data={data} changed={load} />
      <AskForm
        shifts={data.answer.myShifts.filter((shift) => Date.parse(shift.end) > now)}
        colleagues={data.answer.users.filter((user) => user.id !== me)}
        timeZone={data.timeZone}
        asked={load}
      />
      <MyRequests requests={myRequests(data.answer.coverageRequests, me)} data={data} changed={load} />
    </section>
  );
}
