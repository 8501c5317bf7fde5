// One alert: summary, details, links, labels, custom details, escalation state, responders,
// notifications with their due times, the timeline (older pages on request) and the actions.
// Fetched when the page opens, after every reconnection and whenever a live event concerns it.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import {
  AcceptOnPageDocument,
  AlertFeedDocument,
  AlertPageDocument,
  CommentDocument,
  EscalateDocument,
  OlderEntriesDocument,
  ResolveOnPageDocument,
  type AlertDetailFragment,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { Link } from "../shell/Link";
import { Time } from "../shell/Time";
import { usePageTitle } from "../shell/usePageTitle";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";
import { AlertBadges } from "./AlertBadges";
import { AlertActions } from "./AlertActions";
import { AlertFacts } from "./AlertFacts";
import { Escalation } from "./Escalation";
import { appendOlder, joinTimeline, type Timeline } from "./timeline";
import { TimelineList } from "./TimelineList";

export function AlertPage({ id }: { id: string }) {
  const { session, failed, showMessage } = useShell();
  const [alert, setAlert] = useState<AlertDetailFragment | null | undefined>(undefined);
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [busy, setBusy] = useState(false);
  const timelineRef = useRef<Timeline | null>(null);
  usePageTitle(alert ? `#${alert.id} ${alert.summary}` : `Alert #${id}`);

  const show = useCallback((fresh: AlertDetailFragment) => {
    const joined = joinTimeline(timelineRef.current, fresh.timeline);
    timelineRef.current = joined;
    setTimeline(joined);
    setAlert(fresh);
  }, []);

  const load = useCallback(() => {
    void session.client
      .query(AlertPageDocument, { id })
      .toPromise()
      .then((result) => {
        if (result.error) failed(`Could not load alert #${id}`, result.error);
        else if (result.data?.alert) show(result.data.alert);
        else if (result.data) setAlert(null);
      });
  }, [session, failed, show, id]);

  useEffect(() => {
    timelineRef.current = null;
    setTimeline(null);
    setAlert(undefined);
    window.scrollTo(0, 0);
  }, [id]);
  useRefetchOnConnect(load);

  useEffect(() => {
    const { unsubscribe } = session.client.subscription(AlertFeedDocument, {}).subscribe((result) => {
      if (result.data?.alertEvents.alert.id === id) load();
    });
    return unsubscribe;
  }, [session, id, load]);

  const run = async (what: string, mutate: () => Promise<AlertDetailFragment | null | undefined | Error>) => {
    setBusy(true);
    const answer = await mutate();
    setBusy(false);
    if (answer instanceof Error) showMessage(`Could not ${what} alert #${id}: ${answer.message}`);
    else if (answer) {
      showMessage("");
      show(answer);
    }
  };
  const mutation = <T,>(promise: Promise<{ data?: T; error?: Parameters<typeof errorText>[0] }>, pick: (data: T) => AlertDetailFragment) =>
    promise.then((result) => (result.error ? new Error(errorText(result.error)) : result.data ? pick(result.data) : null));

  const accept = () => run("accept", () => mutation(session.client.mutation(AcceptOnPageDocument, { id }).toPromise(), (d) => d.acceptAlert));
  const resolve = () => run("resolve", () => mutation(session.client.mutation(ResolveOnPageDocument, { id }).toPromise(), (d) => d.resolveAlert));
  const escalate = () => run("escalate", () => mutation(session.client.mutation(EscalateDocument, { id }).toPromise(), (d) => d.escalateAlert));
  const comment = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = String(new FormData(form).get("comment") ?? "").trim();
    if (!text) return;
    void run("comment on", () => mutation(session.client.mutation(CommentDocument, { id, text }).toPromise(), (d) => d.commentAlert)).then(() => form.reset());
  };

  const loadOlder = async () => {
    const asked = timelineRef.current;
    if (!asked?.hasOlder) return;
    setBusy(true);
    const result = await session.client.query(OlderEntriesDocument, { id, after: asked.endCursor }).toPromise();
    setBusy(false);
    if (result.error) showMessage(`Could not load older entries of alert #${id}: ${errorText(result.error)}`);
    const page = result.data?.alert?.timeline;
    if (!page || !timelineRef.current) return;
    const joined = appendOlder(timelineRef.current, asked.endCursor, page);
    timelineRef.current = joined;
    setTimeline(joined);
  };

  if (alert === undefined) return <p className="empty">Loading alert #{id}…</p>;
  if (alert === null)
    return (
      <section>
        <h2>Alert #{id} not found</h2>
        <p>
          It does not exist or you cannot see it. <Link href="/">Open alerts</Link>
        </p>
      </section>
    );

  const open = alert.status !== "RESOLVED";
  return (
    <article className="alert-page" data-alert-id={alert.id} aria-labelledby="alert-title">
      <p>
        <Link href="/">← Open alerts</Link>
      </p>
      <h2 id="alert-title">
        <span className="alert-number">#{alert.id}</span> <span className="alert-summary">{alert.summary}</span>
      </h2>
      <p className="alert-head">
        <AlertBadges priority={alert.priority} status={alert.status} />
        <span className="alert-source">{alert.source?.name ?? "unknown source"}</span> · opened <Time at={alert.createdAt} />
        {alert.acceptedAt && (
          <>
            {" "}
            · accepted <Time at={alert.acceptedAt} />
          </>
        )}
        {alert.resolvedAt && (
          <>
            {" "}
            · resolved <Time at={alert.resolvedAt} />
          </>
        )}
      </p>
      <div className="alert-actions">
        {alert.status === "PENDING" && (
          <button type="button" className="accept" disabled={busy} onClick={accept}>
            Accept
          </button>
        )}
        {open && (
          <button type="button" className="resolve" disabled={busy} onClick={resolve}>
            Resolve
          </button>
        )}
        {open && (
          <button type="button" className="escalate" disabled={busy} onClick={escalate}>
            Escalate
          </button>
        )}
      </div>
      <form className="comment" onSubmit={comment}>
        <label htmlFor="comment">Comment</label>
        <input id="comment" name="comment" autoComplete="off" required />
        <button type="submit" disabled={busy}>
          Add comment
        </button>
      </form>
      <Escalation alert={alert} />
      {open && alert.source && <AlertActions alertId={alert.id} sourceId={alert.source.id} />}
      <AlertFacts alert={alert} />
      <section aria-labelledby="timeline-title">
        <h3 id="timeline-title">Timeline</h3>
        {timeline?.hasOlder && (
          <button type="button" className="load-older" disabled={busy} aria-label={`Load older timeline entries of alert #${alert.id}`} onClick={loadOlder}>
            Load older entries
          </button>
        )}
        {timeline && <TimelineList timeline={timeline} />}
      </section>
    </article>
  );
}
