// One alert as a list shows it: number, priority, status, summary (a link to its page), source,
// age and its newest timeline entry. Everything the source sent is rendered as text.
import type { AlertListItemFragment } from "../../gql/graphql";
import { Link } from "../shell/Link";
import { Time } from "../shell/Time";
import { AlertBadges } from "./AlertBadges";

export function AlertSummary({ alert }: { alert: AlertListItemFragment }) {
  const latest = alert.latestLogEntry;
  return (
    <>
      <div className="alert-head">
        <span className="alert-number">#{alert.id}</span>
        <AlertBadges priority={alert.priority} status={alert.status} />
        <Link className="alert-summary" href={`/alerts/${alert.id}`}>
          {alert.summary}
        </Link>
      </div>
      <div className="alert-meta">
        <span className="alert-source">{alert.source?.name ?? "unknown source"}</span> · <Time className="alert-created" at={alert.createdAt} />
      </div>
      {latest && (
        <p className="alert-latest">
          <Time at={latest.at} />: {latest.text}
        </p>
      )}
    </>
  );
}
