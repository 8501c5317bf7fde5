import { Time } from "../shell/Time";
import type { Timeline } from "./timeline";

/** Oldest first, as a story reads. */
export function TimelineList({ timeline }: { timeline: Timeline }) {
  return (
    <ol className="timeline">
      {[...timeline.entries].reverse().map((entry) => (
        <li key={entry.id} data-kind={entry.kind} data-entry-id={entry.id}>
          <Time at={entry.at} /> <span>{entry.text}</span>
        </li>
      ))}
    </ol>
  );
}
