// A schedule's timeline, 1 to 4 weeks on the schedule's clock: a row per layer (its own
// shifts), a row of overrides, and the final schedule (who is paged) with its gaps. Every
// piece says who and when in text; people with no working way to be paged are marked. The
// final schedule is listed in full below the rows.
import type { ReactNode } from "react";
import type { ConsoleTimelineQuery } from "../../gql/graphql";
import { Link } from "../shell/Link";
import { MAX_WEEKS, MIN_WEEKS, piecesIn, shiftedFrom, spanLabel, timelineWeeks, type Span, type TimelineWeek, type Window } from "./timeline";

type TimelineData = NonNullable<ConsoleTimelineQuery["schedule"]>;
type Who = { id: string; name: string; reachable: boolean | null } | null;

interface RowItem extends Span {
  who: Who;
  kind: "shift" | "gap";
}

interface Row {
  key: string;
  title: string;
  items: RowItem[];
}

/** The rows, top to bottom: layers from the one that wins down, overrides, the final schedule. */
export function timelineRows(data: TimelineData): Row[] {
  const byPosition = new Map<number, RowItem[]>();
  // Versions of a layer (an edit ends one and starts the next) share its position and its row.
  for (const layer of data.layers) {
    const items = byPosition.get(layer.position) ?? [];
    items.push(...layer.shifts.map((shift) => ({ start: shift.start, end: shift.end, who: shift.user, kind: "shift" as const })));
    byPosition.set(layer.position, items);
  }
  const layers = [...byPosition.entries()]
    .sort(([a], [b]) => b - a)
    .map(([position, items]) => ({ key: `layer-${position}`, title: `Layer ${position + 1}`, items }));
  const overrides = { key: "overrides", title: "Overrides", items: data.overrides.map((o) => ({ start: o.start, end: o.end, who: o.user, kind: "shift" as const })) };
  const final = {
    key: "final",
    title: "Final schedule",
    items: [
      ...data.shifts.map((shift) => ({ start: shift.start, end: shift.end, who: shift.user, kind: "shift" as const })),
      ...data.gaps.map((gap) => ({ start: gap.start, end: gap.end, who: null, kind: "gap" as const })),
    ],
  };
  return [...layers, overrides, final];
}

function whoText(item: RowItem): string {
  if (item.kind === "gap") return "Nobody on call";
  return item.who?.name ?? "Nobody";
}

function Week({ week, rows, timeZone }: { week: TimelineWeek; rows: Row[]; timeZone: string }) {
  const title = `Week of ${week.days[0]?.title ?? ""}`;
  return (
    <section className="tl-week" aria-label={title}>
      <h4>{title}</h4>
      {/* Focusable: on a narrow screen the rows scroll sideways, by keyboard too. */}
      <div className="tl-grid" tabIndex={0} role="group" aria-label={`${title}, rows`}>
        <div className="tl-days" aria-hidden="true">
          <span className="tl-name" />
          <span className="tl-day-labels">
            {week.days.map((day) => (
              <span key={day.key} className="tl-day" data-day={day.key} data-hours={day.hours} style={{ flexGrow: day.hours }}>
                {day.title}
                {day.hours !== 24 && <small> ({day.hours} h)</small>}
              </span>
            ))}
          </span>
        </div>
        {rows.map((row) => {
          const pieces = piecesIn(row.items, week);
          return (
            <div key={row.key} className="tl-row" data-row={row.key}>
              <span className="tl-name">{row.title}</span>
              <ol className="tl-track" aria-label={`${row.title}, ${title}`}>
                {week.days.map((day) => (
                  <li key={day.key} aria-hidden="true" className="tl-tick" style={{ left: `${((day.start - week.start) / (week.end - week.start)) * 100}%` }} />
                ))}
                {pieces.length === 0 && <li className="tl-none">Nothing this week</li>}
                {pieces.map((piece, index) => {
                  const item = piece.item;
                  const unreachable = item.who?.reachable === false;
                  const when = spanLabel(item, timeZone);
                  return (
                    <li
                      key={`${item.kind}-${item.start}-${item.who?.id ?? ""}-${index}`}
                      className={`tl-piece tl-${item.kind}${unreachable ? " tl-unreachable" : ""}`}
                      data-start={item.start}
                      data-end={item.end}
                      data-user-id={item.who?.id ?? ""}
                      style={{ left: `${piece.left}%`, width: `${piece.width}%` }}
                      title={`${whoText(item)}: ${when}`}
                    >
                      <span className="tl-who">
                        {unreachable && <span aria-hidden="true">⚠ </span>}
                        {whoText(item)}
                      </span>
                      <span className="sched-sr">
                        {unreachable ? ", not reachable" : ""}: {when}
                      </span>
                    </li>
                  );
                })}
              </ol>
            </div>
          );
        })}
      </div>
    </section>
  );
}

export function Timeline({ scheduleId, data, window, timeZone, params }: { scheduleId: string; data: TimelineData; window: Window; timeZone: string; params: URLSearchParams }) {
  const weeks = timelineWeeks(window, timeZone);
  const rows = timelineRows(data);
  const final = [...data.shifts].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const link = (change: Record<string, string>): string => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(change)) next.set(key, value);
    return `/admin/schedules/${scheduleId}?${next.toString()}`;
  };
  const unreachable = new Map<string, string>();
  for (const shift of data.shifts) if (shift.user && shift.user.reachable === false) unreachable.set(shift.user.id, shift.user.name);
  const choices: ReactNode[] = [];
  for (let count = MIN_WEEKS; count <= MAX_WEEKS; count++)
    choices.push(
      <li key={count}>
        <Link href={link({ weeks: String(count) })} aria-current={count === window.weeks ? "true" : undefined}>
          {count} {count === 1 ? "week" : "weeks"}
        </Link>
      </li>,
    );

  return (
    <section id="schedule-timeline" className="card" aria-labelledby="timeline-title" data-ready="true" data-from={new Date(window.from).toISOString()} data-until={new Date(window.until).toISOString()}>
      <h3 id="timeline-title">Timeline</h3>
      <p className="hint">Times in {timeZone}, the schedule's time zone. Higher layers win; overrides win over every layer.</p>
      <nav className="tl-nav" aria-label="Timeline weeks">
        <Link href={link({ from: shiftedFrom(window, timeZone, -window.weeks) })}>Earlier</Link>
        <ul className="tl-choices">{choices}</ul>
        <Link href={link({ from: shiftedFrom(window, timeZone, window.weeks) })}>Later</Link>
      </nav>
      {data.gaps.length > 0 && (
        <p className="sched-warning" id="timeline-gaps-warning">
          {data.gaps.length === 1 ? "1 stretch" : `${data.gaps.length} stretches`} with nobody on call.
        </p>
      )}
      {unreachable.size > 0 && (
        <p className="sched-warning" id="timeline-unreachable-warning">
          No working way to page: {[...unreachable.values()].join(", ")}.
        </p>
      )}
      {weeks.map((week) => (
        <Week key={week.start} week={week} rows={rows} timeZone={timeZone} />
      ))}
      <h4>Final schedule, listed</h4>
      <ol id="final-shifts" className="plain-list tl-list">
        {final.length === 0 && <li className="empty">Nobody on call in these weeks.</li>}
        {final.map((shift) => (
          <li key={`${shift.start}-${shift.source}-${shift.sourceId ?? ""}`} data-start={shift.start} data-end={shift.end} data-user-id={shift.user?.id ?? ""} data-source={shift.source}>
            <span className="tl-when">{spanLabel(shift, timeZone)}</span> <strong>{shift.user?.name ?? "Nobody"}</strong>
            {shift.source === "override" && <span className="badge"> override</span>}
            {shift.user?.reachable === false && <span className="sched-unreachable"> not reachable</span>}
          </li>
        ))}
      </ol>
      <h4>Gaps</h4>
      <ul id="schedule-gaps" className="plain-list tl-list">
        {data.gaps.length === 0 && <li className="empty">None in these weeks.</li>}
        {data.gaps.map((gap) => (
          <li key={gap.start} data-start={gap.start} data-end={gap.end}>
            <span className="tl-when">{spanLabel(gap, timeZone)}</span> nobody on call
          </li>
        ))}
      </ul>
    </section>
  );
}
