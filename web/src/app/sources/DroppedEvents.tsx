// The events the source's filter or a maintenance window dropped (kept 30 days), newest first:
// what a monitor sent that paged no one, to check a filter against.
import { useCallback, useState } from "react";
import { SourceDroppedEventsDocument, type SourceDroppedEventsQuery, type SourceItemFragment } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { formatTime } from "../shell/format";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";

type Dropped = SourceDroppedEventsQuery["droppedEvents"];

export function DroppedEvents({ source, count, inMaintenance }: { source: SourceItemFragment; count: number; inMaintenance: boolean }) {
  const { session, failed } = useShell();
  const [events, setEvents] = useState<Dropped | null>(null);
  const load = useCallback(() => {
    void session.client
      .query(SourceDroppedEventsDocument, { id: source.id }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load the dropped events", result.error);
        else if (result.data) setEvents(result.data.droppedEvents);
      });
  }, [session, failed, source.id]);
  useRefetchOnConnect(load);
  return (
    <section aria-labelledby="dropped-title" className="admin-card">
      <h3 id="dropped-title">Dropped events</h3>
      <p className="hint">
        {count} dropped in the last 30 days{inMaintenance ? "; a maintenance window is on now" : ""}.{" "}
        <button type="button" onClick={load}>
          Refresh dropped events
        </button>
      </p>
      {events && events.length === 0 && <p className="empty">No dropped events.</p>}
      <ul id="dropped-events" className="admin-list">
        {(events ?? []).map((event) => (
          <li key={event.id}>
            <time dateTime={event.at}>{formatTime(event.at)}</time> {event.reason === "FILTERED" ? "filtered out" : "during maintenance"}: {event.eventType} {event.summary}
            {event.alertKey ? ` (key ${event.alertKey})` : ""}
          </li>
        ))}
      </ul>
    </section>
  );
}
