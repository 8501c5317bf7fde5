// Calendar feeds: a secret iCalendar address for my shifts or a whole schedule. The server keeps
// only a digest of the secret, so the address is shown once, right after it is made; the list
// (from myCalendarFeeds, so it survives a reload) names each feed by what it covers, when it was
// made and the first characters of its secret. A lost address is revoked and made again.
import { useState } from "react";
import { CreateCalendarFeedDocument, RevokeCalendarFeedDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import type { MeSectionProps } from "./MePage";

type Feed = MeSectionProps["data"]["myCalendarFeeds"][number];

/** What a feed covers, as its list entry and its Revoke button name it. */
function feedSubject(feed: Pick<Feed, "scheduleId" | "scheduleName">): string {
  if (feed.scheduleId === null || feed.scheduleId === undefined) return "my shifts";
  return feed.scheduleName ?? "a schedule no longer shown to you";
}

export function FeedsSection({ data, timeZone, reload }: MeSectionProps) {
  const { session } = useShell();
  const [schedule, setSchedule] = useState("");
  // The address of the feed made last, while this page is open: never again after that.
  const [made, setMade] = useState<{ id: string; url: string } | null>(null);
  const [result, setResult] = useState("");
  const create = async () => {
    const answer = await session.client.mutation(CreateCalendarFeedDocument, { schedule: schedule || null }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    if (!answer.data) return;
    setMade(answer.data.createCalendarFeed);
    setResult("Copy the address now: it is not shown again.");
    reload();
  };
  const revoke = async (id: string) => {
    const answer = await session.client.mutation(RevokeCalendarFeedDocument, { id }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    if (made?.id === id) setMade(null);
    setResult("Feed revoked.");
    reload();
  };
  return (
    <section aria-labelledby="feeds-title" className="card me-section">
      <h3 id="feeds-title">Calendar feeds</h3>
      {data.myCalendarFeeds.length === 0 && <p className="empty">No calendar feeds.</p>}
      <ul id="feeds" className="plain-list">
        {data.myCalendarFeeds.map((feed) => {
          const subject = feedSubject(feed);
          return (
            <li key={feed.id} data-feed-id={feed.id}>
              {subject}, made {formatTime(feed.createdAt, undefined, timeZone)}, <code>{feed.tokenPrefix}…</code>{" "}
              <button type="button" aria-label={`Revoke feed of ${subject} (${feed.tokenPrefix})`} onClick={() => revoke(feed.id)}>
                Revoke
              </button>
              {made?.id === feed.id && (
                <>
                  <br />
                  Address: <code className="secret">{made.url}</code>
                </>
              )}
            </li>
          );
        })}
      </ul>
      <label htmlFor="feed-schedule">Feed of</label>{" "}
      <select id="feed-schedule" value={schedule} onChange={(event) => setSchedule(event.currentTarget.value)}>
        <option value="">My shifts</option>
        {data.schedules.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>{" "}
      <button type="button" onClick={create}>
        Create feed
      </button>
      <p id="feeds-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
