import { formatClock } from "./format";

/** The mark of a page's data that is no longer live (see useStaleness). */
export function NotLiveSince({ since, id }: { since: string | null; id: string }) {
  if (since === null) return null;
  return (
    <p id={id} className="stale-at" role="status">
      Not live since <time dateTime={since}>{formatClock(since)}</time>: this may have changed; it updates once the connection is back.
    </p>
  );
}
