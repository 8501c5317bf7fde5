// Calendar feeds: a secret iCalendar address for my shifts or a whole schedule, shown once
// (the server keeps no way to show it again); revocable while this page is open.
import { useState } from "react";
import { CreateCalendarFeedDocument, RevokeCalendarFeedDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { MeSectionProps } from "./MePage";

export function FeedsSection({ data }: MeSectionProps) {
  const { session } = useShell();
  const [schedule, setSchedule] = useState("");
  const [feeds, setFeeds] = useState<{ id: string; url: string; what: string }[]>([]);
  const [result, setResult] = useState("");
  const create = async () => {
    const answer = await session.client.mutation(CreateCalendarFeedDocument, { schedule: schedule || null }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    if (!answer.data) return;
    const what = schedule ? (data.schedules.find((s) => s.id === schedule)?.name ?? "a schedule") : "my shifts";
    setFeeds((before) => [...before, { ...answer.data!.createCalendarFeed, what }]);
    setResult("Copy the address now: it is not shown again.");
  };
  const revoke = async (id: string) => {
    const answer = await session.client.mutation(RevokeCalendarFeedDocument, { id }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    setFeeds((before) => before.filter((feed) => feed.id !== id));
    setResult("Feed revoked.");
  };
  return (
    <section aria-labelledby="feeds-title" className="card me-section">
      <h3 id="feeds-title">Calendar feeds</h3>
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
      <ul className="plain-list">
        {feeds.map((feed) => (
          <li key={feed.id}>
            {feed.what}: <code className="secret">{feed.url}</code>{" "}
            <button type="button" aria-label={`Revoke feed of ${feed.what}`} onClick={() => revoke(feed.id)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      <p id="feeds-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
