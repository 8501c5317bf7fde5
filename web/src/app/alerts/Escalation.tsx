// The escalation state: the level reached, when the next escalation is due and who it pages.
import type { AlertDetailFragment } from "../../gql/graphql";
import { relativeTime } from "../shell/format";
import { Time } from "../shell/Time";
import { nextLevel } from "./nextLevel";

export function Escalation({ alert }: { alert: AlertDetailFragment }) {
  const policy = alert.escalationPolicy;
  const due = alert.status === "PENDING" ? alert.nextEscalationAt : null;
  const next = due && policy ? nextLevel(policy, alert.escalationLevel) : null;
  return (
    <section aria-labelledby="escalation-title">
      <h3 id="escalation-title">Escalation</h3>
      <p className="escalation">
        Level {alert.escalationLevel}
        {policy ? ` of ${policy.name}` : ""}
        {due ? (
          <>
            ; next escalation <Time at={due} /> ({relativeTime(due, Date.now())})
          </>
        ) : (
          "; no further escalation scheduled"
        )}
        .
      </p>
      {next && (
        <p className="next-level">
          {`Then level ${next.level}${next.repeats ? " (the policy starts again)" : ""}: ${next.targets.join(", ") || "nobody"}`}
        </p>
      )}
    </section>
  );
}
