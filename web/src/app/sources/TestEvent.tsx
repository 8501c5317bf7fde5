// "Send a test event": an event through the source's own intake path (its templates, filter,
// maintenance and grouping), as if its monitor had sent it; the alert it made is linked. A test
// the filter drops makes no alert, and the server says why.
import { useState } from "react";
import { SendSourceTestEventDocument, type SourceItemFragment } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { Link } from "../shell/Link";

export function TestEvent({ source }: { source: SourceItemFragment }) {
  const { session } = useShell();
  const [alert, setAlert] = useState<{ id: string; summary: string } | null>(null);
  const [result, setResult] = useState("");
  const send = async () => {
    setAlert(null);
    setResult("Sending…");
    const answer = await session.client.mutation(SendSourceTestEventDocument, { id: source.id }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    const made = answer.data?.sendTestEvent;
    if (made) {
      setAlert(made);
      setResult("");
    }
  };
  return (
    <section aria-labelledby="test-event-title" className="admin-card">
      <h3 id="test-event-title">Test event</h3>
      <p className="hint">Goes through this source's intake like an event its monitor sends, and pages its escalation policy.</p>
      <button type="button" onClick={send}>
        Send a test event
      </button>
      <p id="test-event-result" role="status" aria-live="polite">
        {alert ? (
          <>
            Test event sent: <Link href={`/alerts/${alert.id}`}>alert #{alert.id}, {alert.summary}</Link>
          </>
        ) : (
          result
        )}
      </p>
    </section>
  );
}
