import { clock, dayTitle } from "../oncall/zoned";

/** A stretch of time as the viewer reads it: "Thu 10 Dec 2026 09:00 – Thu 10 Dec 2026 17:00". */
export function Stretch({ start, end, timeZone }: { start: string; end: string; timeZone: string }) {
  const [from, until] = [Date.parse(start), Date.parse(end)];
  return (
    <span className="stretch">
      <time dateTime={start}>
        {dayTitle(from, timeZone)} {clock(from, timeZone)}
      </time>{" "}
      –{" "}
      <time dateTime={end}>
        {dayTitle(until, timeZone)} {clock(until, timeZone)}
      </time>
    </span>
  );
}
