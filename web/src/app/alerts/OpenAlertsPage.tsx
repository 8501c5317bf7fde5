// The live open-alert list: the Dashboard query's snapshot (at the first connection and after
// every reconnection), changed by every event of the AlertFeed subscription. HIGH first, then
// the newest. Accept and Resolve on each alert, or on several selected at once. When the
// connection drops the list stays, marked "not live since HH:MM" until the refetch after the
// reconnection has answered.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { OperationResult } from "@urql/core";
import {
  AcceptDocument,
  AlertFeedDocument,
  DashboardDocument,
  ResolveDocument,
  type DashboardQuery,
  type AlertListItemFragment,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { usePageTitle } from "../shell/usePageTitle";
import { followInApp } from "../shell/Link";
import { NotLiveSince } from "../shell/NotLiveSince";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";
import { useStaleness } from "../shell/useStaleness";
import { alertOfEvent, syncRows, type AlertAction, type Rows } from "./openAlertRows";
import { applySnapshot, emptyOpenAlerts, openAlertList, tick, upsert, type OpenAlerts } from "./openAlerts";
import { sortOpen } from "./order";

export function OpenAlertsPage() {
  const { session, failed, showMessage } = useShell();
  const store = useRef<OpenAlerts<AlertListItemFragment>>(emptyOpenAlerts());
  const [alerts, setAlerts] = useState<AlertListItemFragment[]>([]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [loaded, setLoaded] = useState(false);
  const { staleSince, startRefetch, refreshed, unreachable } = useStaleness();
  usePageTitle(loaded ? `Open alerts (${alerts.length})` : "Open alerts");

  const commit = useCallback((next: OpenAlerts<AlertListItemFragment>) => {
    store.current = next;
    const list = sortOpen(openAlertList(next));
    setAlerts(list);
    setSelected((before) => new Set([...before].filter((id) => next.byId.has(id))));
  }, []);

  const refresh = useCallback(() => {
    const [started, at] = tick(store.current);
    const epoch = startRefetch();
    store.current = started;
    // All pages first, then one snapshot: events that arrive meanwhile are newer than it (tick).
    const load = async (): Promise<AlertListItemFragment[] | null> => {
      const nodes: AlertListItemFragment[] = [];
      let after: string | null = null;
      for (;;) {
        const result: OperationResult<DashboardQuery> = await session.client.query(DashboardDocument, { after }).toPromise();
        if (result.error?.networkError) unreachable();
        if (result.error) failed("Could not load the open alerts", result.error);
        if (result.error || !result.data) return null;
        const { edges, pageInfo } = result.data.alerts;
        nodes.push(...edges.map((edge) => edge.node));
        if (!pageInfo.hasNextPage || !pageInfo.endCursor) return nodes;
        after = pageInfo.endCursor;
      }
    };
    void load().then((nodes) => {
      if (nodes === null) return;
      commit(applySnapshot(store.current, nodes, at));
      setLoaded(true);
      refreshed(epoch);
    });
  }, [session, failed, commit, startRefetch, refreshed, unreachable]);
  useRefetchOnConnect(refresh);

  useEffect(() => {
    const { unsubscribe } = session.client.subscription(AlertFeedDocument, {}).subscribe((result) => {
      if (result.error) showMessage(`Live updates failed: ${result.error.message}`);
      if (result.data) commit(upsert(store.current, result.data.alertEvents.alert));
    });
    return unsubscribe;
  }, [session, showMessage, commit]);

  const act = useCallback(
    async (action: AlertAction, ids: readonly string[]) => {
      setBusy((before) => new Set([...before, ...ids]));
      // Each alert on its own: one refused (already resolved, not allowed) does not stop the rest.
      const answers = await Promise.all(
        ids.map(async (id) => {
          if (action === "accept") {
            const result = await session.client.mutation(AcceptDocument, { id }).toPromise();
            return { id, error: result.error, alert: result.data?.acceptAlert };
          }
          const result = await session.client.mutation(ResolveDocument, { id }).toPromise();
          return { id, error: result.error, alert: result.data?.resolveAlert };
        }),
      );
      let next = store.current;
      const problems: string[] = [];
      for (const answer of answers) {
        if (answer.error) problems.push(`#${answer.id}: ${errorText(answer.error)}`);
        if (answer.alert) next = upsert(next, answer.alert);
      }
      commit(next);
      setBusy((before) => new Set([...before].filter((id) => !ids.includes(id))));
      showMessage(problems.length ? `Could not ${action} alert ${problems.join("; ")}` : "");
    },
    [session, commit, showMessage],
  );

  const toggle = useCallback(
    (id: string, on: boolean) =>
      setSelected((before) => {
        const next = new Set(before);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      }),
    [],
  );

  // The rows themselves are made by syncRows (openAlertRows.ts), in the same commit as the list.
  const list = useRef<HTMLOListElement>(null);
  const rows = useRef<Rows>(new Map());
  useLayoutEffect(() => {
    if (list.current) syncRows(list.current, rows.current, alerts, selected, busy);
  }, [alerts, selected, busy]);
  useEffect(() => {
    const ol = list.current;
    if (!ol) return;
    const handle = (event: Event) => {
      const happened = alertOfEvent(event);
      if (happened?.kind === "act") void act(happened.action, [happened.id]);
      else if (happened?.kind === "select") toggle(happened.id, happened.on);
      else if (happened?.kind === "open" && event instanceof MouseEvent) followInApp(event, happened.href);
    };
    ol.addEventListener("click", handle);
    ol.addEventListener("change", handle);
    return () => {
      ol.removeEventListener("click", handle);
      ol.removeEventListener("change", handle);
    };
  }, [act, toggle]);

  const chosen = alerts.filter((alert) => selected.has(alert.id));

  return (
    <section className="open-alerts" aria-labelledby="alerts-title" data-ready={loaded || undefined} data-stale={staleSince ? "true" : undefined}>
      <h2 id="alerts-title">
        Open alerts{" "}
        <span id="alert-count" className="count" aria-live="polite">
          ({alerts.length})
        </span>
      </h2>
      <NotLiveSince since={staleSince} id="alerts-stale" />
      {chosen.length > 0 && (
        <div className="bulk" role="group" aria-label="Selected alerts">
          <span>{chosen.length} selected</span>
          <button type="button" onClick={() => void act("accept", chosen.filter((a) => a.status === "PENDING").map((a) => a.id))}>
            Accept selected
          </button>
          <button type="button" onClick={() => void act("resolve", chosen.map((a) => a.id))}>
            Resolve selected
          </button>
        </div>
      )}
      {loaded && alerts.length === 0 && (
        <p id="no-alerts" className="empty">
          No open alerts.
        </p>
      )}
      <ol id="alerts" className="alerts" ref={list} />
    </section>
  );
}
