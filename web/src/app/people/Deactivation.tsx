// Deactivating someone, the change that can leave people without cover: the console first asks
// the server what it would leave uncovered (gaps in the next four weeks per schedule, policy
// levels left with nobody), shows it, and only then offers to confirm. Reactivating undoes it.
import { useState } from "react";
import { DeactivateUserDocument, DeactivationImpactDocument, ReactivateUserDocument, type DeactivationImpactQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import { Link } from "../shell/Link";
import { durationText, gapsBySchedule, levelText } from "./impact";

/** The window the impact covers: four weeks from now. */
const IMPACT_DAYS = 28;

type Impact = DeactivationImpactQuery["deactivationImpact"];

export function Deactivation({ user, reload }: { user: { id: string; name: string; active: boolean }; reload: () => void }) {
  const { session } = useShell();
  const [impact, setImpact] = useState<Impact | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState("");

  const review = async () => {
    setBusy(true);
    const answer = await session.client.query(DeactivationImpactDocument, { userId: user.id, days: IMPACT_DAYS }, { requestPolicy: "network-only" }).toPromise();
    setBusy(false);
    if (answer.error) return setResult(errorText(answer.error));
    setResult("");
    setImpact(answer.data?.deactivationImpact ?? null);
  };
  const confirm = async () => {
    setBusy(true);
    const answer = await session.client.mutation(DeactivateUserDocument, { id: user.id }).toPromise();
    setBusy(false);
    if (answer.error) return setResult(errorText(answer.error));
    setImpact(null);
    setResult(`${user.name} is deactivated: they cannot sign in and are never paged.`);
    reload();
  };
  const reactivate = async () => {
    setBusy(true);
    const answer = await session.client.mutation(ReactivateUserDocument, { id: user.id }).toPromise();
    setBusy(false);
    if (answer.error) return setResult(errorText(answer.error));
    setResult(`${user.name} is active again: paged and on their schedules; they sign in again.`);
    reload();
  };

  return (
    <section aria-labelledby="activity-title" id="user-activity">
      <h4 id="activity-title">{user.active ? "Deactivate" : "Deactivated"}</h4>
      {!user.active ? (
        <>
          <p>{user.name} cannot sign in and is never paged; their shifts do not count.</p>
          <button type="button" disabled={busy} onClick={() => void reactivate()}>
            Reactivate {user.name}
          </button>
        </>
      ) : impact === null ? (
        <>
          <p className="hint">They will no longer sign in or be paged, and their shifts stop counting. You see what that leaves uncovered before confirming.</p>
          <button type="button" disabled={busy} onClick={() => void review()}>
            Deactivate {user.name}…
          </button>
        </>
      ) : (
        <ImpactReview impact={impact} busy={busy} onConfirm={() => void confirm()} onCancel={() => setImpact(null)} />
      )}
      <p id="activity-result" className="form-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}

function ImpactReview({ impact, busy, onConfirm, onCancel }: { impact: Impact; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const bySchedule = gapsBySchedule(impact.gaps);
  const name = impact.user.name;
  return (
    <div className="impact" role="region" aria-labelledby="impact-title" id="deactivation-impact">
      <h5 id="impact-title">What deactivating {name} leaves uncovered</h5>
      {impact.schedules.length > 0 ? (
        <p>
          {name} is on {impact.schedules.length === 1 ? "the schedule" : "the schedules"}{" "}
          {impact.schedules.map((schedule, index) => (
            <span key={schedule.id}>
              {index > 0 && ", "}
              <Link href={`/schedules/${schedule.id}`}>{schedule.name}</Link>
            </span>
          ))}
          .
        </p>
      ) : (
        <p>{name} is on no schedule.</p>
      )}
      <h6>Nobody on call in the next 4 weeks</h6>
      {bySchedule.length === 0 ? (
        <p id="impact-no-gaps">No gaps: someone else covers every shift of theirs.</p>
      ) : (
        <ul id="impact-gaps">
          {bySchedule.map((entry) => (
            <li key={entry.schedule.id} data-schedule-id={entry.schedule.id}>
              <strong>{entry.schedule.name}</strong>: {durationText(entry.total)} without anyone
              <ul>
                {entry.gaps.map((gap) => (
                  <li key={gap.start} className="impact-gap">
                    {formatTime(gap.start)} to {formatTime(gap.end)}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      <h6>Escalation levels left with nobody</h6>
      {impact.emptyLevels.length === 0 ? (
        <p id="impact-no-levels">None: every level still pages someone.</p>
      ) : (
        <ul id="impact-levels">
          {impact.emptyLevels.map((level) => (
            <li key={`${level.policy.id}:${level.position}`}>
              <Link href={`/admin/policies/${level.policy.id}`}>{levelText(level)}</Link>
            </li>
          ))}
        </ul>
      )}
      <div className="admin-actions">
        <button type="button" disabled={busy} onClick={onConfirm}>
          Confirm: deactivate {name}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
