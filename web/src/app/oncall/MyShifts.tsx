// "My shifts": the next four weeks as an agenda, a heading per day in the viewer's zone.
import type { OnCallPageQuery } from "../../gql/graphql";
import { Link } from "../shell/Link";
import { agenda, duration } from "./agenda";
import { dayTitle } from "./zoned";

type Shift = OnCallPageQuery["myShifts"][number];

export function MyShifts({ shifts, from, until, timeZone }: { shifts: readonly Shift[]; from: number; until: number; timeZone: string }) {
  const days = agenda(shifts, from, until, timeZone);
  return (
    <section aria-labelledby="my-shifts-title">
      <h3 id="my-shifts-title">My shifts</h3>
      <p className="hint">The next four weeks, times in {timeZone}.</p>
      {days.length === 0 && (
        <p id="no-shifts" className="empty">
          No shifts in the next four weeks.
        </p>
      )}
      <ol id="my-shifts" className="agenda">
        {days.map((day) => (
          <li key={day.key}>
            <h4>{dayTitle(day.start, timeZone)}</h4>
            <ul className="plain-list">
              {day.pieces.map((piece) => (
                <li key={`${piece.shift.schedule.id}-${piece.shift.start}`} className="shift">
                  <span className="shift-time">{piece.label}</span> <Link href={`/schedules/${piece.shift.schedule.id}`}>{piece.shift.schedule.name}</Link>{" "}
                  <span className="hint">
                    ({duration(piece.shift)}
                    {piece.continuesBefore ? ", continued" : ""}
                    {piece.continuesAfter ? ", continues" : ""})
                  </span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </section>
  );
}
