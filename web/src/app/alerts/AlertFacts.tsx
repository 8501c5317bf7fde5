// What the source sent and who was paged, all as text: details, links (clickable only for
// http/https), labels, custom details as collapsible JSON, responders and notifications.
import type { AlertDetailFragment } from "../../gql/graphql";
import { Time } from "../shell/Time";
import { alertLinks } from "./links";

export function AlertFacts({ alert }: { alert: AlertDetailFragment }) {
  const links = alertLinks(alert.links, alert.images);
  const custom = alert.customDetails;
  const hasCustom = custom !== null && !(typeof custom === "object" && Object.keys(custom as object).length === 0);
  return (
    <>
      {alert.details && (
        <section aria-labelledby="details-title">
          <h3 id="details-title">Details</h3>
          <p className="alert-text">{alert.details}</p>
        </section>
      )}
      {links.length > 0 && (
        <section aria-labelledby="links-title">
          <h3 id="links-title">Links</h3>
          <ul className="alert-links">
            {links.map((link, i) => (
              <li key={i}>
                {link.href ? (
                  <a href={link.href} target="_blank" rel="noopener noreferrer">
                    {link.label}
                  </a>
                ) : (
                  link.label
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {alert.labels.length > 0 && (
        <section aria-labelledby="labels-title">
          <h3 id="labels-title">Labels</h3>
          <ul className="alert-labels">
            {alert.labels.map(({ key, value }) => (
              <li key={key}>{`${key}=${value}`}</li>
            ))}
          </ul>
        </section>
      )}
      {hasCustom && (
        <details className="alert-details">
          <summary>Custom details</summary>
          <pre className="alert-custom-details">{JSON.stringify(custom, null, 2)}</pre>
        </details>
      )}
      <section aria-labelledby="responders-title">
        <h3 id="responders-title">Responders</h3>
        {alert.responders.length === 0 ? (
          <p className="empty">Nobody paged yet.</p>
        ) : (
          <ul className="responders">
            {alert.responders.map((responder) => (
              <li key={responder.user.id}>
                <strong>{responder.user.name}</strong>
                {responder.notifiedAt ? (
                  <>
                    {" "}
                    · paged <Time at={responder.notifiedAt} />
                  </>
                ) : null}
                {responder.accepted ? " · accepted" : ""}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="notifications-title">
        <h3 id="notifications-title">Notifications</h3>
        {alert.notifications.length === 0 ? (
          <p className="empty">None yet.</p>
        ) : (
          <ol className="notifications">
            {alert.notifications.map((n) => (
              <li key={n.id} data-status={n.status}>
                <span>{`${n.channel} to ${n.user?.name ?? "someone"} · ${n.status}`}</span>
                {n.sentAt ? (
                  <>
                    {" "}
                    · sent <Time at={n.sentAt} />
                  </>
                ) : (
                  <>
                    {" "}
                    · due <Time at={n.dueAt} />
                  </>
                )}
                {n.error ? <span className="error">{` · ${n.error}`}</span> : null}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
