// The app opened without a connection: the last open-alert list and on-call state this browser
// saw, each marked stale with the time it was true. Read-only: acting on an alert needs the
// server (or the notification's Accept button, which works through the push service's path).
import { sortOpen } from "../app/alerts/order";
import { AlertSummary } from "../app/alerts/AlertSummary";
import { onCallRows } from "../app/oncall/rows";
import { Time } from "../app/shell/Time";
import type { OfflineSnapshot } from "./snapshot";
import "./pwa.css";

export function StaleSnapshot({ snapshot }: { snapshot: OfflineSnapshot }) {
  const { alerts, onCall } = snapshot;
  return (
    <section id="stale" className="stale" aria-labelledby="stale-title">
      <h2 id="stale-title">Offline: last known state</h2>
      <p className="stale-note">
        pagerline cannot be reached from this device. What follows is what it last showed here and may have changed since; it
        updates by itself once the connection is back.
      </p>
      <div className="columns">
        <aside className="card oncall-card" aria-labelledby="stale-oncall-title">
          <h3 id="stale-oncall-title">On call</h3>
          {onCall ? (
            <>
              <StaleAt at={onCall.savedAt} />
              <ul id="stale-oncall" className="oncall">
                {onCallRows(onCall.value).map((row) => (
                  <li key={row.key}>
                    <strong>{row.who}</strong> ({row.where})
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <NotSeen />
          )}
        </aside>
        <section className="open-alerts" aria-labelledby="stale-alerts-title">
          <h3 id="stale-alerts-title">Open alerts {alerts && `(${alerts.value.length})`}</h3>
          {alerts ? (
            <>
              <StaleAt at={alerts.savedAt} />
              {alerts.value.length === 0 && <p className="empty">No open alerts then.</p>}
              <ol id="stale-alerts" className="alerts">
                {sortOpen(alerts.value).map((alert) => (
                  <li key={alert.id} className="alert" data-alert-id={alert.id} data-priority={alert.priority}>
                    <div className="alert-body">
                      <AlertSummary alert={alert} />
                    </div>
                  </li>
                ))}
              </ol>
            </>
          ) : (
            <NotSeen />
          )}
        </section>
      </div>
    </section>
  );
}

function StaleAt({ at }: { at: string }) {
  return (
    <p className="stale-at">
      Stale, as of <Time at={at} />
    </p>
  );
}

function NotSeen() {
  return <p>Not seen on this device yet.</p>;
}
