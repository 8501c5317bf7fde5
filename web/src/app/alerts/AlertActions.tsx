// "Run an alert action": the source's enabled MANUAL actions (open a ticket, post to a channel,
// ...) as buttons. The server queues a signed delivery; its outcome is on the timeline.
import { useEffect, useState } from "react";
import { AlertActionsDocument, RunAlertActionDocument, type AlertActionsQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";

type Action = AlertActionsQuery["alertActions"][number];

export function AlertActions({ alertId, sourceId }: { alertId: string; sourceId: string }) {
  const { session, showMessage } = useShell();
  const [actions, setActions] = useState<Action[]>([]);
  const [done, setDone] = useState("");
  useEffect(() => {
    let current = true;
    void session.client
      .query(AlertActionsDocument, { sourceId })
      .toPromise()
      .then((result) => {
        // Advisory: without actions (or without the right to list them) the page simply has none.
        if (current) setActions((result.data?.alertActions ?? []).filter((a) => a.mode === "MANUAL" && a.enabled));
      });
    return () => {
      current = false;
    };
  }, [session, sourceId]);

  if (actions.length === 0) return null;
  const run = async (action: Action) => {
    const result = await session.client.mutation(RunAlertActionDocument, { actionId: action.id, alertId }).toPromise();
    if (result.error) showMessage(`Could not run ${action.name}: ${errorText(result.error)}`);
    else if (result.data) setDone(`${action.name}: ${result.data.runAlertAction.status.toLowerCase()}`);
  };
  return (
    <section aria-labelledby="actions-title">
      <h3 id="actions-title">Alert actions</h3>
      <div className="alert-actions">
        {actions.map((action) => (
          <button key={action.id} type="button" onClick={() => run(action)}>
            {`Run ${action.name}`}
          </button>
        ))}
      </div>
      <p className="hint" role="status">
        {done}
      </p>
    </section>
  );
}
