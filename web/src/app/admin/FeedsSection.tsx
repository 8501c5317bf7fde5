// Calendar feeds in the admin console: an admin makes an iCalendar feed of any schedule (or of
// their own shifts), sees the ones they made and revokes them. The address holds a secret stored
// as a digest, so it is shown once, right after it is made.
import { useState, type FormEvent } from "react";
import { CreateScheduleFeedDocument, FeedChoicesDocument, RevokeScheduleFeedDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import { CopyField } from "../sources/CopyField";
import { need, useAdminData } from "../sources/useAdminData";
import type { SectionProps } from "./AdminConsole";
import "../sources/sources.css";

export function FeedsSection(_props: SectionProps) {
  const { session } = useShell();
  const { data, reload } = useAdminData(
    "the calendar feeds",
    async (client) => need(await client.query(FeedChoicesDocument, {}, { requestPolicy: "network-only" }).toPromise()),
    ["CALENDAR_FEED", "SCHEDULE"],
  );
  const [schedule, setSchedule] = useState("");
  const [made, setMade] = useState<{ id: string; url: string } | null>(null);
  const [result, setResult] = useState("");
  if (!data) return <section aria-busy="true" aria-label="Calendar feeds" />;
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await session.client.mutation(CreateScheduleFeedDocument, { schedule: schedule || null }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    if (answer.data) setMade(answer.data.createCalendarFeed);
    setResult("Feed made. Copy its address now: it is not shown again.");
    reload();
  };
  const revoke = async (id: string, subject: string) => {
    const answer = await session.client.mutation(RevokeScheduleFeedDocument, { id }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    if (made?.id === id) setMade(null);
    setResult(`Feed of ${subject} revoked.`);
    reload();
  };
  return (
    <section aria-labelledby="section-title" data-ready="true">
      <h2 id="section-title">Calendar feeds</h2>
      <p className="hint">A secret iCalendar address of a schedule's shifts, to subscribe to in a calendar app. Anyone with the address can read it: revoke a leaked one.</p>
      {data.myCalendarFeeds.length === 0 && <p className="empty">No calendar feeds.</p>}
      <ul id="calendar-feeds" className="admin-list">
        {data.myCalendarFeeds.map((feed) => {
          const subject = feed.scheduleId ? (feed.scheduleName ?? "a schedule no longer shown") : "my shifts";
          return (
            <li key={feed.id} data-feed-id={feed.id}>
              Feed of {subject}, made {formatTime(feed.createdAt)}, <code>{feed.tokenPrefix}…</code>
              {made?.id === feed.id && <CopyField id={`feed-url-${feed.id}`} label="Feed address" value={made.url} />}
              <div className="admin-row">
                <button type="button" onClick={() => revoke(feed.id, subject)} aria-label={`Revoke feed of ${subject} (${feed.tokenPrefix})`}>
                  Revoke
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      <p id="feeds-result" role="status" aria-live="polite">
        {result}
      </p>
      <form className="admin-form admin-card" aria-labelledby="new-feed-title" onSubmit={create}>
        <h3 id="new-feed-title">New calendar feed</h3>
        <label htmlFor="feed-of">Feed of</label>
        <select id="feed-of" value={schedule} onChange={(e) => setSchedule(e.currentTarget.value)}>
          <option value="">My shifts</option>
          {data.schedules.map((s) => (
            <option key={s.id} value={s.id}>
              Schedule {s.name}
            </option>
          ))}
        </select>
        <div className="admin-row">
          <button type="submit">Create feed</button>
        </div>
      </form>
    </section>
  );
}
